package dev.tokenlearner.bench;

import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;

/**
 * The machine's practical float32 peak as this TF runtime reaches it: a large square MatMul.
 *
 * <p>An {@code n x n} by {@code n x n} product counts {@code 2 n^3} floating-point operations (one
 * multiply and one add per term), the same convention as the FLOP counter. The peak is taken from
 * the fastest run: other load on the machine can only slow a run down.
 *
 * <p>A {@link Probe} can also join the interleaved rounds of model measurements, so the peak a
 * model's GFLOP/s is compared with was measured under the same conditions.
 */
public final class PeakMatMul {

  private PeakMatMul() {}

  /**
   * The peak measurement.
   *
   * @param n matrix side
   * @param timing run times in milliseconds
   * @param gflops {@code 2 n^3 / fastest run time}, in GFLOP/s
   */
  public record Result(int n, Summary timing, double gflops) {

    /**
     * Builds the result from run times.
     *
     * @param n matrix side
     * @param millis run times in milliseconds
     * @return the result
     */
    public static Result of(int n, double[] millis) {
      Summary s = Summary.of(millis);
      return new Result(n, s, flops(n) / (s.min() / 1e3) / 1e9);
    }
  }

  /** FLOPs of one {@code n x n} by {@code n x n} product. */
  static double flops(int n) {
    return 2.0 * n * (double) n * n;
  }

  /** An open MatMul graph and session with its two input tensors; one run per call. */
  public static final class Probe implements Interleaved.Timed, AutoCloseable {
    private final int n;
    private final Graph graph;
    private final Session session;
    private final TFloat32 a;
    private final TFloat32 b;
    private final Placeholder<TFloat32> pa;
    private final Placeholder<TFloat32> pb;
    private final MatMul<TFloat32> product;

    /**
     * Builds the graph and the inputs.
     *
     * @param n matrix side
     * @param settings session settings
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public Probe(int n, SessionSettings settings) {
      if (n < 1) {
        throw new IllegalArgumentException("matrix side must be positive, got " + n);
      }
      this.n = n;
      float[] values = new float[Math.multiplyExact(n, n)];
      SplittableRandom rnd = new SplittableRandom(7);
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (rnd.nextDouble() * 2 - 1);
      }
      graph = new Graph();
      Ops tf = Ops.create(graph);
      pa = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(n, n)));
      pb = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(n, n)));
      product = tf.linalg.matMul(pa, pb);
      session = settings.openSession(graph);
      a = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(values, true, false));
      b = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(values, true, false));
    }

    /**
     * Returns the matrix side.
     *
     * @return n
     */
    public int n() {
      return n;
    }

    @Override
    public long runNanos() {
      Session.Runner r = session.runner().feed(pa, a).feed(pb, b).fetch(product);
      long t0 = System.nanoTime();
      org.tensorflow.Result res = r.run();
      long t1 = System.nanoTime();
      res.close();
      return t1 - t0;
    }

    /** Closes the inputs, the session and the graph. */
    @Override
    public void close() {
      a.close();
      b.close();
      session.close();
      graph.close();
    }
  }

  /**
   * Measures {@code n x n} MatMuls on their own.
   *
   * @param n matrix side
   * @param settings session settings
   * @param warmup discarded runs
   * @param repetitions measured runs
   * @return the timing and the peak GFLOP/s
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public static Result measure(int n, SessionSettings settings, int warmup, int repetitions) {
    try (Probe p = new Probe(n, settings)) {
      return Result.of(n, Interleaved.measure(List.of(p), warmup, repetitions)[0]);
    }
  }
}
