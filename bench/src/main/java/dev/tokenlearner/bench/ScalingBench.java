package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.ops.Parameter;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Predicted data-parallel step time and efficiency for ViT-Ti/S/B/L-16 at 2–64 workers, from the
 * forward and training-step times measured here and a ring all-reduce over a given network.
 *
 * <p>The model (weak scaling: every worker keeps its batch):
 *
 * <ul>
 *   <li>compute: {@code fwd} = the measured forward pass, {@code bwd} = the measured training step
 *       minus it (backward, clipping, update), divided by {@code computeSpeedup} to stand for a
 *       faster worker;
 *   <li>the backward pass produces the gradients last parameter first, each parameter's after a
 *       share of {@code bwd} proportional to its size (a ViT's FLOPs are about parameters × tokens;
 *       attention scores add under 10 % at 197 tokens);
 *   <li>gradients go in buckets of {@code bucketBytes}, as the trainer sends them; a bucket's ring
 *       all-reduce over {@code n} workers takes {@code 2(n-1)·latency + 2(n-1)/n · bytes / bw},
 *       with {@code bw} the link speed times {@code linkEfficiency}; one bucket at a time;
 *   <li>without overlap: {@code fwd + bwd + sum(all-reduces)}; with overlap a bucket starts when
 *       its gradients are ready and the previous bucket is done, and the step ends at {@code fwd +
 *       max(bwd, last bucket done)};
 *   <li>efficiency = single-worker step / predicted step.
 * </ul>
 */
public final class ScalingBench {

  private ScalingBench() {}

  /**
   * What to measure and predict.
   *
   * @param sizes the ViT sizes (patch 16, 224²)
   * @param batch per-worker batch of the measured steps
   * @param warmup discarded runs
   * @param runs measured runs
   * @param workers worker counts
   * @param gigabitsPerSecond network speeds
   * @param linkEfficiency the fraction of the link speed the all-reduce reaches
   * @param latencyMicros per-hop latency of the ring
   * @param computeSpeedup measured compute divided by this
   * @param bucketBytes the trainer's bucket size
   */
  public record Options(
      List<ViTSize> sizes,
      int batch,
      int warmup,
      int runs,
      List<Integer> workers,
      List<Double> gigabitsPerSecond,
      double linkEfficiency,
      double latencyMicros,
      double computeSpeedup,
      long bucketBytes) {

    /** Copies the lists. */
    public Options {
      sizes = List.copyOf(sizes);
      workers = List.copyOf(workers);
      gigabitsPerSecond = List.copyOf(gigabitsPerSecond);
    }

    /** Ti, S, B, L at batch 2, 2–64 workers, 25 and 100 Gb/s, an ideal link, 25 MiB buckets. */
    public static Options defaults() {
      return new Options(
          List.of(ViTSize.TI, ViTSize.S, ViTSize.B, ViTSize.L),
          2,
          1,
          3,
          List.of(2, 4, 8, 16, 32, 64),
          List.of(25.0, 100.0),
          1.0,
          50,
          1.0,
          25L << 20);
    }
  }

  /**
   * One model's measured compute.
   *
   * @param size the ViT size
   * @param forwardMs median forward pass
   * @param stepMs median training step
   * @param parameterFloats every parameter's size, in the model's (forward) order
   */
  public record Compute(ViTSize size, double forwardMs, double stepMs, long[] parameterFloats) {

    /** Total parameters. */
    public long parameters() {
      long n = 0;
      for (long p : parameterFloats) {
        n += p;
      }
      return n;
    }
  }

  /**
   * A predicted step.
   *
   * @param stepMs predicted step time
   * @param efficiency single-worker step / predicted step
   */
  public record Prediction(double stepMs, double efficiency) {}

  /**
   * The predicted step of {@code n} workers.
   *
   * @param c the measured compute
   * @param o the network and bucket settings
   * @param n workers
   * @param gbps link speed in Gb/s
   * @param overlap whether buckets travel during the backward pass
   * @return the prediction
   */
  public static Prediction predict(Compute c, Options o, int n, double gbps, boolean overlap) {
    double fwd = c.forwardMs() / o.computeSpeedup();
    double bwd = Math.max(0, c.stepMs() - c.forwardMs()) / o.computeSpeedup();
    double single = fwd + bwd;
    if (n <= 1) {
      return new Prediction(single, 1);
    }
    double bytesPerMs = gbps * 1e9 / 8 * o.linkEfficiency() / 1e3;
    long bucketFloats = o.bucketBytes() / Float.BYTES;
    long total = c.parameters();
    // Walk the parameters last first, cutting buckets as BucketedAllReduce does.
    double done = 0; // when the previous bucket's all-reduce ends, ms after the backward starts
    double sum = 0;
    long produced = 0;
    long filled = 0;
    for (int i = c.parameterFloats().length - 1; i >= 0; i--) {
      long left = c.parameterFloats()[i];
      produced += left;
      while (left > 0) {
        long take = Math.min(left, bucketFloats - filled);
        filled += take;
        left -= take;
        boolean last = i == 0 && left == 0;
        if (filled == bucketFloats || last) {
          double ready = bwd * produced / total;
          double ms = ringMs(filled * Float.BYTES, n, bytesPerMs, o.latencyMicros());
          sum += ms;
          done = Math.max(ready, done) + ms;
          filled = 0;
        }
      }
    }
    double step = overlap ? fwd + Math.max(bwd, done) : single + sum;
    return new Prediction(step, single / step);
  }

  /** A ring all-reduce: {@code 2(n-1)} hops, each moving {@code bytes / n}. */
  static double ringMs(long bytes, int n, double bytesPerMs, double latencyMicros) {
    return 2.0 * (n - 1) * latencyMicros / 1e3 + 2.0 * (n - 1) / n * bytes / bytesPerMs;
  }

  /**
   * Measures each size's forward pass and training step on this machine.
   *
   * @param o what to measure
   * @param log progress
   * @return one compute record per size
   */
  public static List<Compute> measure(Options o, PrintStream log) {
    List<Compute> out = new ArrayList<>();
    for (ViTSize size : o.sizes()) {
      BenchConfig c = BenchConfig.plain(size, 16, 224);
      log.println("measuring " + c.name() + " at batch " + o.batch() + "...");
      double fwd;
      double step;
      long[] params;
      try (TFloat32 x = Inputs.images(c.input(), o.batch(), 3L);
          TInt32 y = Inputs.labels(c.input().numClasses(), o.batch())) {
        try (ModelRunner f =
            ModelRunner.open(c, ModelRunner.Kind.FORWARD, SessionSettings.defaults(), 1L)) {
          fwd = median(f, x, y, o);
        }
        try (ModelRunner t =
            ModelRunner.open(c, ModelRunner.Kind.TRAIN_STEP, SessionSettings.defaults(), 1L)) {
          step = median(t, x, y, o);
          List<Parameter> ps = t.store().parameters();
          params = new long[ps.size()];
          for (int i = 0; i < params.length; i++) {
            params[i] = ps.get(i).value().shape().size();
          }
        }
      }
      out.add(new Compute(size, fwd, step, params));
    }
    return out;
  }

  private static double median(ModelRunner r, TFloat32 x, TInt32 y, Options o) {
    double[] ms = new double[o.runs()];
    for (int i = -o.warmup(); i < o.runs(); i++) {
      long ns = r.run(x, y);
      if (i >= 0) {
        ms[i] = ns / 1e6;
      }
    }
    return Summary.of(ms).median();
  }

  /**
   * The measured compute and, per network speed, the predicted step and efficiency.
   *
   * @param computes the measurements
   * @param o the settings
   * @return Markdown
   */
  public static String markdown(List<Compute> computes, Options o) {
    StringBuilder sb = new StringBuilder();
    appendTables(sb, computes, o);
    return sb.toString();
  }

  /**
   * {@link #markdown(List, Options)} once per compute speedup: the same measurements, as if the
   * workers computed that many times faster (e.g. a GPU against this machine).
   *
   * @param computes the measurements
   * @param o the settings; its {@code computeSpeedup} is replaced by each of {@code speedups}
   * @param speedups the speedups
   * @return Markdown
   */
  public static String markdown(List<Compute> computes, Options o, List<Double> speedups) {
    StringBuilder sb = new StringBuilder();
    for (double f : speedups) {
      if (sb.length() > 0) {
        sb.append("\n");
      }
      appendTables(
          sb,
          computes,
          new Options(
              o.sizes(),
              o.batch(),
              o.warmup(),
              o.runs(),
              o.workers(),
              o.gigabitsPerSecond(),
              o.linkEfficiency(),
              o.latencyMicros(),
              f,
              o.bucketBytes()));
    }
    return sb.toString();
  }

  private static void appendTables(StringBuilder sb, List<Compute> computes, Options o) {
    sb.append(
        String.format(
            Locale.ROOT,
            "Compute (batch %d per worker, measured on this machine%s):%n%n",
            o.batch(),
            o.computeSpeedup() == 1 ? "" : ", divided by " + o.computeSpeedup()));
    sb.append("| model | parameters | forward ms | training step ms | gradients MB |\n");
    sb.append("|---|---:|---:|---:|---:|\n");
    for (Compute c : computes) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s/16 | %,d | %.0f | %.0f | %.0f |%n",
              c.size().scenicName(),
              c.parameters(),
              c.forwardMs() / o.computeSpeedup(),
              c.stepMs() / o.computeSpeedup(),
              c.parameters() * 4 / 1e6));
    }
    for (double gbps : o.gigabitsPerSecond()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%nPredicted step ms / efficiency at %.0f Gb/s (all-reduce at %.0f %% of the link,"
                  + " %.0f µs per hop, %d MiB buckets); no overlap | overlap:%n%n",
              gbps,
              o.linkEfficiency() * 100,
              o.latencyMicros(),
              o.bucketBytes() >> 20));
      sb.append("| model |");
      o.workers().forEach(n -> sb.append(" ").append(n).append(" workers |"));
      sb.append("\n|---|");
      o.workers().forEach(n -> sb.append("---:|"));
      sb.append("\n");
      for (Compute c : computes) {
        sb.append("| ").append(c.size().scenicName()).append("/16 |");
        for (int n : o.workers()) {
          Prediction a = predict(c, o, n, gbps, false);
          Prediction b = predict(c, o, n, gbps, true);
          sb.append(
              String.format(
                  Locale.ROOT,
                  " %.0f / %.0f %% \\| %.0f / %.0f %% |",
                  a.stepMs(),
                  a.efficiency() * 100,
                  b.stepMs(),
                  b.efficiency() * 100));
        }
        sb.append("\n");
      }
    }
  }
}
