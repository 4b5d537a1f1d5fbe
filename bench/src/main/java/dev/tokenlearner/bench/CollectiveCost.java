package dev.tokenlearner.bench;

import dev.tokenlearner.train.BucketedAllReduce;
import dev.tokenlearner.train.TensorMemory;
import dev.tokenlearner.train.distributed.CollectiveReplication;
import dev.tokenlearner.train.distributed.CollectiveSettings;
import dev.tokenlearner.train.distributed.LocalReplicas;
import dev.tokenlearner.train.distributed.RingAllReduce;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The communication cost of one data-parallel step: the all-reduce of a model's worth of gradients
 * between in-process TensorFlow tasks over loopback gRPC, alone, without the model's compute; next
 * to it, in the same run, what the wire allows (one TCP stream over loopback) and, where Python TF
 * is installed, Python TF's own collective all-reduce of the same vector (a {@code
 * MultiWorkerMirroredStrategy} of one process per replica).
 *
 * <p>The gradients live in a variable and the step fetches one element, as a training step's update
 * consumes the reduced gradients in the graph: no feed or fetch of the whole vector. The servers
 * listen on all interfaces: run it in a private network namespace ({@code unshare -n}, with {@code
 * ip link set lo up}).
 */
public final class CollectiveCost {

  private static final String SCRIPT = "allreduce_reference.py";
  private static final int TCP_WRITE_BYTES = 1 << 20;

  private CollectiveCost() {}

  /**
   * What to measure.
   *
   * @param floats length of the all-reduced float32 vector
   * @param replicas number of in-process replicas (and Python processes)
   * @param warmup discarded all-reduces
   * @param steps measured all-reduces
   * @param python whether to measure Python TF's all-reduce too
   * @param bucketBytes our all-reduce's bucket size ({@link BucketedAllReduce})
   * @param chunkBytes our collectives' chunk size ({@link CollectiveSettings#chunkBytes})
   * @param bfloat16 send bfloat16 and sum in float32 ({@code allreduce_dtype: bfloat16})
   */
  public record Options(
      long floats,
      int replicas,
      int warmup,
      int steps,
      boolean python,
      long bucketBytes,
      long chunkBytes,
      boolean bfloat16) {

    /** Checks the sizes. */
    public Options {
      if (floats < 1 || floats > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("--floats must be in 1.." + Integer.MAX_VALUE);
      }
      if (replicas < 2) {
        throw new IllegalArgumentException("--replicas must be at least 2, got " + replicas);
      }
      if (steps < 1 || warmup < 0) {
        throw new IllegalArgumentException("steps must be positive and warm-up not negative");
      }
    }

    /** Bytes of the vector. */
    public long bytes() {
      return floats * Float.BYTES;
    }
  }

  /**
   * One run's figures.
   *
   * @param options what was measured
   * @param ours milliseconds per all-reduce of our collectives
   * @param maxRelativeError largest |ours - exact mean| over the largest |exact mean|
   * @param tcpMegabytesPerSecond one loopback TCP stream, MB/s (10^6 bytes)
   * @param python Python TF's milliseconds per all-reduce, if measured
   * @param pythonNote why Python TF was not measured, or empty
   * @param ring the host ring ({@link RingAllReduce}): fetch from the session, all-reduce, feed
   *     back, milliseconds per step, measured alternately with {@code ours}
   * @param ringAlone the host ring's all-reduce alone, milliseconds
   * @param ringRelativeError the host ring's largest error against the exact mean
   * @param tcpAlternating one loopback TCP stream of the vector's bytes, measured by the chief
   *     between the all-reduces (so under the same load), MB/s per run
   */
  public record Report(
      Options options,
      Summary ours,
      double maxRelativeError,
      double tcpMegabytesPerSecond,
      Optional<Summary> python,
      String pythonNote,
      Summary ring,
      Summary ringAlone,
      double ringRelativeError,
      Summary tcpAlternating) {

    /** Algorithm bandwidth: the vector's bytes over the median time, MB/s. */
    public double oursMegabytesPerSecond() {
      return megabytesPerSecond(options.bytes(), ours.median());
    }

    /** The report's lines, the first being {@code all-reduce: N floats, R replicas: ...}. */
    public List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add(line("all-reduce", ours));
      out.add(
          String.format(
              Locale.ROOT,
              "%s on the wire: largest error %.2e of the largest mean",
              options.bfloat16() ? "bfloat16" : "float32",
              maxRelativeError));
      out.add(line("ring all-reduce (Java TCP, fetched and fed back)", ring));
      out.add(line("ring all-reduce alone", ringAlone));
      out.add(
          String.format(
              Locale.ROOT,
              "ring %s on the wire: largest error %.2e of the largest mean",
              options.bfloat16() ? "bfloat16" : "float32",
              ringRelativeError));
      out.add(String.format(Locale.ROOT, "loopback TCP: %.0f MB/s", tcpMegabytesPerSecond));
      out.add(
          String.format(
              Locale.ROOT,
              "loopback TCP between the all-reduces: median %.0f MB/s (%d runs)",
              tcpAlternating.median(),
              tcpAlternating.n()));
      python.ifPresentOrElse(
          p -> out.add(line("python TF all-reduce", p)),
          () -> out.add("python TF all-reduce: not measured (" + pythonNote + ")"));
      out.add(
          String.format(
              Locale.ROOT,
              "ratio: %.2fx loopback TCP%s",
              oursMegabytesPerSecond() / tcpMegabytesPerSecond,
              python
                  .map(
                      p ->
                          String.format(
                              Locale.ROOT, ", %.2fx python TF", p.median() / ours.median()))
                  .orElse("")));
      out.add(
          String.format(
              Locale.ROOT,
              "against TCP between the all-reduces: TF collective %.2fx, ring %.2fx, ring alone %.2fx",
              oursMegabytesPerSecond() / tcpAlternating.median(),
              megabytesPerSecond(options.bytes(), ring.median()) / tcpAlternating.median(),
              megabytesPerSecond(options.bytes(), ringAlone.median()) / tcpAlternating.median()));
      out.add(
          String.format(
              Locale.ROOT,
              "ring ratio: %.2fx loopback TCP (alone %.2fx), %.2fx TF collective%s",
              megabytesPerSecond(options.bytes(), ring.median()) / tcpMegabytesPerSecond,
              megabytesPerSecond(options.bytes(), ringAlone.median()) / tcpMegabytesPerSecond,
              ours.median() / ring.median(),
              python
                  .map(
                      p ->
                          String.format(
                              Locale.ROOT, ", %.2fx python TF", p.median() / ring.median()))
                  .orElse("")));
      return out;
    }

    private String line(String what, Summary s) {
      return String.format(
          Locale.ROOT,
          "%s: %d floats, %d replicas: median %.1f ms, %.0f MB/s (p95 %.1f ms, %d runs)",
          what,
          options.floats(),
          options.replicas(),
          s.median(),
          megabytesPerSecond(options.bytes(), s.median()),
          s.p95(),
          s.n());
    }
  }

  /**
   * Runs the three measurements.
   *
   * @param o what to measure
   * @param log progress
   * @return the figures
   * @throws Exception if a replica fails
   */
  public static Report run(Options o, PrintStream log) throws Exception {
    log.println("loopback TCP, " + o.bytes() / 1_000_000 + " MB per run...");
    double tcp = loopbackTcp(o.bytes(), Math.max(3, o.steps()));
    Optional<Summary> python = Optional.empty();
    String note = "--skip python";
    if (o.python()) {
      log.println("python TF all-reduce (" + o.replicas() + " processes)...");
      try {
        python = Optional.of(python(o));
        note = "";
      } catch (IOException e) {
        note = e.getMessage();
      }
    }
    log.println(
        "all-reduce over "
            + o.replicas()
            + " in-process TensorFlow servers, alternating with the host ring...");
    Measured ours = ours(o);
    return new Report(
        o,
        Summary.of(ours.millis()),
        ours.relativeError(),
        tcp,
        python,
        note,
        Summary.of(ours.ringMillis()),
        Summary.of(ours.ringAloneMillis()),
        ours.ringRelativeError(),
        Summary.of(ours.tcpAlternating()));
  }

  /**
   * A replica's milliseconds per all-reduce and relative error, for TF's collectives and the host
   * ring.
   */
  private record Measured(
      double[] millis,
      double relativeError,
      double[] ringMillis,
      double[] ringAloneMillis,
      double ringRelativeError,
      double[] tcpAlternating) {}

  /** The chief's measurement. */
  static Measured ours(Options o) throws Exception {
    List<CollectiveReplication> members =
        LocalReplicas.start(
            o.replicas(),
            LocalReplicas.sessionConfig(o.replicas(), false),
            new CollectiveSettings(120f, o.chunkBytes(), "auto"));
    List<InetSocketAddress> ringAddresses = new ArrayList<>();
    for (int r = 0; r < o.replicas(); r++) {
      ringAddresses.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()));
    }
    RingAllReduce.Settings ringSettings =
        new RingAllReduce.Settings(
            Duration.ofMinutes(2),
            Duration.ofMinutes(10),
            RingAllReduce.DEFAULT_CHUNK_BYTES,
            o.bfloat16());
    ExecutorService pool = Executors.newFixedThreadPool(o.replicas());
    // The replicas start each ring together, so "ring alone" times the transfer, not the skew of
    // their fetches (the step time still includes it, as a trainer's would).
    CyclicBarrier ringStart = new CyclicBarrier(o.replicas());
    try {
      List<Future<Measured>> runs = new ArrayList<>();
      for (CollectiveReplication m : members) {
        runs.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring =
                      RingAllReduce.connect(ringAddresses, m.rank(), ringSettings)) {
                    return measure(m, ring, ringStart, o);
                  }
                }));
      }
      Measured chief = runs.get(0).get(30, TimeUnit.MINUTES);
      for (Future<Measured> f : runs) {
        f.get(30, TimeUnit.MINUTES);
      }
      return chief;
    } finally {
      pool.shutdownNow();
    }
  }

  private static Measured measure(
      CollectiveReplication m, RingAllReduce ring, CyclicBarrier ringStart, Options o)
      throws Exception {
    try (Graph g = new Graph();
        HostStep host = new HostStep(o.floats(), m.rank())) {
      Ops tf = Ops.create(g);
      // Replica r holds sin(i · (r + 1) / 1000): known everywhere, so each can check the mean.
      Variable<TFloat32> grads = tf.withName("grads").variable(wave(tf, o.floats(), m.rank()));
      List<Operand<TFloat32>> reduced =
          new BucketedAllReduce(m, o.bucketBytes(), o.bfloat16()).allReduceMean(tf, List.of(grads));
      Operand<TFloat32> first =
          tf.slice(reduced.get(0), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
      Operand<TFloat32> exact = wave(tf, o.floats(), 0);
      for (int r = 1; r < o.replicas(); r++) {
        exact = tf.math.add(exact, wave(tf, o.floats(), r));
      }
      exact = tf.math.div(exact, tf.constant((float) o.replicas()));
      Operand<TFloat32> error =
          tf.math.div(
              tf.max(tf.math.abs(tf.math.sub(reduced.get(0), exact)), tf.constant(0)),
              tf.max(tf.math.abs(exact), tf.constant(0)));
      Session s = m.openSession(g, LocalReplicas.sessionConfig(o.replicas(), false));
      s.initialize();
      double[] ms = new double[o.steps()];
      double[] ringMs = new double[o.steps()];
      double[] ringAloneMs = new double[o.steps()];
      double ringError = Double.NaN;
      double[] tcp = new double[o.steps()];
      // Alternate TF's collective and the host ring, so both see the same load.
      for (int i = -o.warmup(); i < o.steps(); i++) {
        long t0 = System.nanoTime();
        try (Result r = s.runner().fetch(first).run()) {
          if (i >= 0) {
            ms[i] = (System.nanoTime() - t0) / 1e6;
          }
        }
        double[] ringTimes = host.step(ring, ringStart);
        if (i >= 0) {
          ringMs[i] = ringTimes[0];
          ringAloneMs[i] = ringTimes[1];
        }
        if (Double.isNaN(ringError)) {
          ringError = host.relativeError(o.replicas());
        }
        if (i >= 0 && m.rank() == 0) {
          // The wire under the same load; the other replicas wait in the next collective.
          tcp[i] = tcpOnce(o.bytes());
        }
      }
      double relative;
      try (Result r = s.runner().fetch(error).run()) {
        relative = ((TFloat32) r.get(0)).getFloat();
      }
      m.closeSession(s);
      return new Measured(ms, relative, ringMs, ringAloneMs, ringError, tcp);
    }
  }

  /**
   * A replica's step with the host ring, as {@code allreduce_impl: ring} trains: one session run
   * computes a fresh vector from the gradients (a variable, as above; the trainer's is the
   * concatenated gradients), the ring all-reduces it in that tensor's own memory ({@link
   * TensorMemory}), and a second run feeds the same tensor into a variable (as the update would
   * consume it). A plain local session: the ring needs no server.
   */
  private static final class HostStep implements AutoCloseable {
    private final Graph graph = new Graph();
    private final Session session;
    private final Operand<TFloat32> grads;
    private final Placeholder<TFloat32> feed;
    private final Operand<TFloat32> applied;
    private final float[] check;
    private boolean checked;

    HostStep(long floats, int rank) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> v = tf.withName("grads").variable(wave(tf, floats, rank));
      grads = tf.math.mul(v, tf.constant(1f));
      feed = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(floats)));
      Variable<TFloat32> reduced =
          tf.withName("reduced")
              .variable(tf.zeros(tf.constant(new long[] {floats}), TFloat32.class));
      Operand<TFloat32> assigned = tf.assign(reduced, feed);
      applied = tf.slice(assigned, tf.constant(new int[] {0}), tf.constant(new int[] {1}));
      session = new Session(graph);
      session.initialize();
      check = new float[(int) floats];
    }

    /** Milliseconds of the whole step and of the ring alone (from when all replicas are ready). */
    double[] step(RingAllReduce ring, CyclicBarrier ringStart) throws Exception {
      long t0 = System.nanoTime();
      try (Result r = session.runner().fetch(grads).run()) {
        TFloat32 vector = (TFloat32) r.get(0);
        ByteBuffer memory = TensorMemory.of(vector);
        ringStart.await(10, TimeUnit.MINUTES);
        long t1 = System.nanoTime();
        ring.allReduceMean(memory);
        long t2 = System.nanoTime();
        try (Result u = session.runner().feed(feed, vector).fetch(applied).run()) {
          // the update's input is in place
        }
        long t3 = System.nanoTime();
        if (!checked) {
          memory.asFloatBuffer().get(0, check);
          checked = true;
        }
        return new double[] {(t3 - t0) / 1e6, (t2 - t1) / 1e6};
      }
    }

    /** Largest |mean − exact| over the largest |exact|, exact recomputed in double. */
    double relativeError(int replicas) {
      double worst = 0;
      double scale = 0;
      for (int i = 0; i < check.length; i++) {
        double exact = 0;
        for (int r = 0; r < replicas; r++) {
          exact += Math.sin((float) i * ((r + 1) / 1000f));
        }
        exact /= replicas;
        worst = Math.max(worst, Math.abs(check[i] - exact));
        scale = Math.max(scale, Math.abs(exact));
      }
      return worst / scale;
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  /** {@code sin(i · (rank + 1) / 1000)} for {@code i < n}. */
  private static Operand<TFloat32> wave(Ops tf, long n, int rank) {
    Operand<TFloat32> i =
        tf.dtypes.cast(
            tf.range(tf.constant(0), tf.constant((int) n), tf.constant(1)), TFloat32.class);
    return tf.math.sin(tf.math.mul(i, tf.constant((rank + 1) / 1000f)));
  }

  /**
   * The best of several runs of one TCP stream over loopback, each sending {@code bytes} in 1 MiB
   * writes from one thread to a reader thread: MB/s.
   */
  static double loopbackTcp(long bytes, int runs) throws Exception {
    double best = 0;
    for (int i = 0; i < runs; i++) {
      best = Math.max(best, tcpOnce(bytes));
    }
    return best;
  }

  private static double tcpOnce(long bytes) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ExecutorService reader = Executors.newSingleThreadExecutor();
      try {
        Future<Long> received =
            reader.submit(
                () -> {
                  try (Socket s = server.accept();
                      InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[TCP_WRITE_BYTES];
                    long total = 0;
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                      total += n;
                    }
                    return total;
                  }
                });
        byte[] buf = new byte[TCP_WRITE_BYTES];
        long t0;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            OutputStream out = s.getOutputStream()) {
          t0 = System.nanoTime();
          for (long sent = 0; sent < bytes; sent += buf.length) {
            out.write(buf, 0, (int) Math.min(buf.length, bytes - sent));
          }
        }
        long got = received.get(5, TimeUnit.MINUTES);
        return megabytesPerSecond(got, (System.nanoTime() - t0) / 1e6);
      } finally {
        reader.shutdownNow();
      }
    }
  }

  /** Python TF's all-reduce: one process per replica on loopback ports, the chief's times. */
  static Summary python(Options o) throws IOException {
    Optional<String> missing = PythonReference.probe();
    if (missing.isPresent()) {
      throw new IOException(missing.get());
    }
    List<String> workers = new ArrayList<>();
    for (int i = 0; i < o.replicas(); i++) {
      workers.add("\"127.0.0.1:" + freePort() + "\"");
    }
    String cluster = "{\"worker\": [" + String.join(", ", workers) + "]}";
    Path script = Files.createTempFile("tokenlearner_allreduce", ".py");
    List<Process> others = new ArrayList<>();
    try {
      try (InputStream in = CollectiveCost.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          throw new IOException("script resource " + SCRIPT + " missing from the classpath");
        }
        Files.write(script, in.readAllBytes());
      }
      List<String> args =
          List.of(
              PythonReference.python(),
              script.toString(),
              Long.toString(o.floats()),
              Integer.toString(o.warmup()),
              Integer.toString(o.steps()));
      for (int i = 1; i < o.replicas(); i++) {
        ProcessBuilder pb =
            new ProcessBuilder(args)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        env(pb, cluster, i);
        others.add(pb.start());
      }
      Map<String, Summary> modes =
          PythonReference.parse(PythonReference.run(args, pb -> env(pb, cluster, 0)));
      Summary s = modes.get("allreduce");
      if (s == null) {
        throw new IOException(SCRIPT + " printed no all-reduce timings");
      }
      return s;
    } finally {
      others.forEach(Process::destroyForcibly);
      Files.deleteIfExists(script);
    }
  }

  private static void env(ProcessBuilder pb, String cluster, int index) {
    pb.environment()
        .put(
            "TF_CONFIG",
            "{\"cluster\": "
                + cluster
                + ", \"task\": {\"type\": \"worker\", \"index\": "
                + index
                + "}}");
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    pb.environment().put("CUDA_VISIBLE_DEVICES", "");
  }

  private static double megabytesPerSecond(long bytes, double millis) {
    return bytes / 1e6 / (millis / 1e3);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  /**
   * Prints the report.
   *
   * @param args floats, replicas, steps, bucket MiB, chunk MiB[, bfloat16]
   * @throws Exception if a replica fails
   */
  public static void main(String[] args) throws Exception {
    Options o =
        new Options(
            Long.parseLong(args[0]),
            Integer.parseInt(args[1]),
            3,
            Integer.parseInt(args[2]),
            !Boolean.getBoolean("tl.nopython"),
            (long) (Double.parseDouble(args[3]) * (1 << 20)),
            (long) (Double.parseDouble(args[4]) * (1 << 20)),
            args.length > 5 && args[5].equals("bfloat16"));
    run(o, System.err).lines().forEach(System.out::println);
    // TensorFlow servers cannot be stopped.
    System.exit(0);
  }
}
