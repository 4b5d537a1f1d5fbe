package dev.tokenlearner.bench;

import dev.tokenlearner.config.AllReduceConfig;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.TrainStep;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TrainOrder;
import dev.tokenlearner.train.distributed.CollectiveReplication;
import dev.tokenlearner.train.distributed.CollectiveSettings;
import dev.tokenlearner.train.distributed.LocalReplicas;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

/**
 * The trainer's step with several in-process replicas, {@code allreduce_impl: collective} against
 * {@code ring}, in one process: both sets of replicas are built side by side (their own servers),
 * then rounds of a few steps alternate between them, so both see the same load. Steps/s is the
 * round's steps over its wall time (every replica's step, the all-reduce included). Each replica
 * trains on one fixed batch of its shard, fed as tensors, so input is not measured. The servers
 * listen on all interfaces: run it in a private network namespace.
 */
public final class TrainAllReduceBench {

  private static final float TIMEOUT_SECONDS = 300f;

  private TrainAllReduceBench() {}

  /**
   * What to measure.
   *
   * @param config the experiment ({@code batch_size} is the global batch)
   * @param replicas in-process replicas per implementation
   * @param warmup discarded steps of each implementation before the rounds
   * @param rounds alternating rounds
   * @param steps steps per round
   */
  public record Options(ExperimentConfig config, int replicas, int warmup, int rounds, int steps) {

    /** Checks the counts. */
    public Options {
      if (replicas < 2) {
        throw new IllegalArgumentException("--replicas must be at least 2, got " + replicas);
      }
      if (rounds < 1 || steps < 1 || warmup < 0) {
        throw new IllegalArgumentException(
            "rounds and steps must be positive, warm-up not negative");
      }
    }
  }

  /**
   * Steps per second of each round.
   *
   * @param options what was measured
   * @param collective {@code allreduce_impl: collective}, one value per round
   * @param ring {@code allreduce_impl: ring}, one value per round
   * @param parameters the model's parameter count (the all-reduced floats, besides two metrics)
   * @param loadBefore the load averages before the replicas were built
   * @param loadAfter the load averages after the rounds
   */
  public record Report(
      Options options,
      double[] collective,
      double[] ring,
      long parameters,
      Optional<String> loadBefore,
      Optional<String> loadAfter) {

    /** Median ring steps/s over median collective steps/s. */
    public double ratio() {
      return median(ring) / median(collective);
    }

    /** The report as printed. */
    public List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add(
          String.format(
              Locale.ROOT,
              "train step, %d in-process replicas, %s (%,d parameters), global batch %d; %d rounds"
                  + " of %d steps, alternating",
              options.replicas(),
              options.config().source(),
              parameters,
              options.config().train().requireBatchSize(),
              options.rounds(),
              options.steps()));
      out.add("");
      out.add("| allreduce_impl | median steps/s | min | max |");
      out.add("|---|---:|---:|---:|");
      out.add(row("collective", collective));
      out.add(row("ring", ring));
      out.add("");
      out.add(String.format(Locale.ROOT, "ring / collective: %.2fx", ratio()));
      out.add(
          "load average before: "
              + loadBefore.orElse("unknown")
              + ", after: "
              + loadAfter.orElse("unknown"));
      return out;
    }

    private static String row(String name, double[] v) {
      return String.format(
          Locale.ROOT,
          "| %s | %.2f | %.2f | %.2f |",
          name,
          median(v),
          Arrays.stream(v).min().orElse(Double.NaN),
          Arrays.stream(v).max().orElse(Double.NaN));
    }
  }

  /**
   * Runs the comparison.
   *
   * @param o what to measure
   * @param log progress
   * @return both implementations' steps/s per round
   * @throws IOException if the dataset cannot be read
   */
  public static Report run(Options o, PrintStream log) throws Exception {
    Optional<String> before = Environment.currentLoadAverage();
    ImageDataset data = Datasets.open(o.config(), Optional.empty());
    ExecutorService pool = Executors.newFixedThreadPool(o.replicas());
    try (Group collective = new Group(o, AllReduceConfig.Impl.COLLECTIVE, data, pool);
        Group ring = new Group(o, AllReduceConfig.Impl.RING, data, pool)) {
      log.println("warm-up: " + o.warmup() + " steps of each");
      collective.steps(o.warmup());
      ring.steps(o.warmup());
      double[] c = new double[o.rounds()];
      double[] r = new double[o.rounds()];
      for (int i = 0; i < o.rounds(); i++) {
        c[i] = collective.steps(o.steps());
        r[i] = ring.steps(o.steps());
        log.printf(Locale.ROOT, "round %d: collective %.2f, ring %.2f steps/s%n", i, c[i], r[i]);
      }
      return new Report(o, c, r, collective.parameters(), before, Environment.currentLoadAverage());
    } finally {
      pool.shutdownNow();
    }
  }

  /** One implementation's replicas, each with its step and one fixed batch of its shard. */
  private static final class Group implements AutoCloseable {
    private final List<TrainStep> steps = new ArrayList<>();
    private final List<Tensor> images = new ArrayList<>();
    private final List<TInt32> labels = new ArrayList<>();
    private final ExecutorService pool;
    private long step;

    Group(Options o, AllReduceConfig.Impl impl, ImageDataset data, ExecutorService pool)
        throws Exception {
      this.pool = pool;
      ExperimentConfig cfg =
          ConfigLoader.withKeys(o.config(), Map.of(AllReduceConfig.IMPL_KEY, impl.key()));
      int n = o.replicas();
      int batch = cfg.train().requireBatchSize();
      if (batch % n != 0) {
        throw new IllegalArgumentException(
            "batch_size " + batch + " is not divisible by " + n + " replicas");
      }
      TrainOrder order = new TrainOrder(cfg.train().rngSeed(), batch, data.numTrain());
      List<CollectiveReplication> members =
          LocalReplicas.start(
              n,
              LocalReplicas.sessionConfig(n, false),
              CollectiveSettings.forDevice("CPU", TIMEOUT_SECONDS));
      List<Future<TrainStep>> built = new ArrayList<>();
      // Built concurrently: the ring connects while the replicas build their graphs.
      for (CollectiveReplication m : members) {
        built.add(
            pool.submit(
                () -> {
                  TrainStep s =
                      TrainStep.builder(cfg)
                          .sessionConfig(LocalReplicas.sessionConfig(n, false))
                          .replication(m)
                          .build();
                  s.initialize();
                  s.synchronize();
                  return s;
                }));
      }
      for (Future<TrainStep> f : built) {
        steps.add(await(f));
      }
      for (CollectiveReplication m : members) {
        Batch b = BatchProducer.build(data, order.shard(m.rank(), n), batch / n, 0);
        images.add(
            b.isPixels()
                ? TUint8.tensorOf(Shape.of(b.shape()), DataBuffers.of(b.pixels(), true, false))
                : TFloat32.tensorOf(Shape.of(b.shape()), DataBuffers.of(b.images(), true, false)));
        labels.add(TInt32.vectorOf(b.labels()));
      }
    }

    long parameters() {
      return steps.get(0).parameters().parameters().stream()
          .mapToLong(p -> Shape.of(p.shape()).size())
          .sum();
    }

    /** Runs {@code count} steps on every replica; steps per second. */
    double steps(int count) throws Exception {
      long t0 = System.nanoTime();
      List<Future<?>> runs = new ArrayList<>();
      for (int r = 0; r < steps.size(); r++) {
        int rank = r;
        long first = step;
        runs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < count; i++) {
                    TrainStep s = steps.get(rank);
                    if (images.get(rank) instanceof TUint8 pixels) {
                      s.run(pixels, labels.get(rank), first + i);
                    } else {
                      s.run((TFloat32) images.get(rank), labels.get(rank), first + i);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : runs) {
        await(f);
      }
      step += count;
      return count / ((System.nanoTime() - t0) / 1e9);
    }

    @Override
    public void close() {
      images.forEach(Tensor::close);
      labels.forEach(TInt32::close);
      steps.forEach(TrainStep::close);
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
