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
 * multiply and one add per term), the same convention as the FLOP counter.
 */
public final class PeakMatMul {

  private PeakMatMul() {}

  /**
   * The peak measurement.
   *
   * @param n matrix side
   * @param timing run times in milliseconds
   * @param gflops {@code 2 n^3 / median time}, in GFLOP/s
   */
  public record Result(int n, Summary timing, double gflops) {}

  /**
   * Measures {@code n x n} MatMuls.
   *
   * @param n matrix side
   * @param settings session settings
   * @param warmup discarded runs
   * @param repetitions measured runs
   * @return the timing and the achieved GFLOP/s
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public static Result measure(int n, SessionSettings settings, int warmup, int repetitions) {
    if (n < 1) {
      throw new IllegalArgumentException("matrix side must be positive, got " + n);
    }
    float[] values = new float[Math.multiplyExact(n, n)];
    SplittableRandom rnd = new SplittableRandom(7);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    try (Graph g = new Graph();
        TFloat32 a = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(values, true, false));
        TFloat32 b = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(values, true, false))) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> pa = tf.placeholder(TFloat32.class);
      Placeholder<TFloat32> pb = tf.placeholder(TFloat32.class);
      MatMul<TFloat32> prod = tf.linalg.matMul(pa, pb);
      try (Session s = settings.openSession(g)) {
        Interleaved.Timed run =
            () -> {
              Session.Runner r = s.runner().feed(pa, a).feed(pb, b).fetch(prod);
              long t0 = System.nanoTime();
              org.tensorflow.Result res = r.run();
              long t1 = System.nanoTime();
              res.close();
              return t1 - t0;
            };
        double[][] ms = Interleaved.measure(List.of(run), warmup, repetitions);
        Summary sum = Summary.of(ms[0]);
        double flop = 2.0 * n * (double) n * n;
        return new Result(n, sum, flop / (sum.median() / 1e3) / 1e9);
      }
    }
  }
}
