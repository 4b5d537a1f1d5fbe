package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

class CustomGradientsTest {

  @BeforeAll
  static void register() {
    CustomGradients.register();
    CustomGradients.register(); // idempotent
  }

  private static double[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextDouble() * 2 - 1;
    }
    return v;
  }

  /**
   * Checks the Conv3D gradient of {@code L = sum(conv3d(x, w) * R)} against central differences of
   * L (float64) in every input and filter element.
   */
  @ParameterizedTest(name = "strides {0}, padding {1}")
  @CsvSource({"1, SAME", "2, VALID", "2, SAME"})
  void conv3d_gradient_matchesFiniteDifferences(int stride, String padding) {
    long[] xs = {1, 4, 5, 4, 2};
    long[] ws = {2, 3, 2, 2, 3};
    double[] x = random(160, 1);
    double[] w = random(72, 2);
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat64> xp = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(xs)));
      Placeholder<TFloat64> wp = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(ws)));
      Operand<TFloat64> y =
          tf.nn.conv3d(xp, wp, List.of(1L, (long) stride, (long) stride, 1L, 1L), padding);
      long[] ys;
      try (TFloat64 xt = TFloat64.tensorOf(Shape.of(xs), DataBuffers.of(x, true, false));
          TFloat64 wt = TFloat64.tensorOf(Shape.of(ws), DataBuffers.of(w, true, false));
          Result r = s.runner().feed(xp, xt).feed(wp, wt).fetch(y).run()) {
        ys = r.get(0).shape().asArray();
      }
      double[] rr = random((int) Shape.of(ys).size(), 3);
      Operand<TFloat64> loss =
          tf.sum(
              tf.math.mul(y, tf.constant(Shape.of(ys), DataBuffers.of(rr, true, false))),
              tf.constant(new int[] {0, 1, 2, 3, 4}));
      Gradients grads = Gradients.create(tf.scope(), loss, List.of(xp, wp));
      double[][] analytic = new double[2][];
      try (TFloat64 xt = TFloat64.tensorOf(Shape.of(xs), DataBuffers.of(x, true, false));
          TFloat64 wt = TFloat64.tensorOf(Shape.of(ws), DataBuffers.of(w, true, false));
          Result r =
              s.runner().feed(xp, xt).feed(wp, wt).fetch(grads.dy(0)).fetch(grads.dy(1)).run()) {
        for (int k = 0; k < 2; k++) {
          TFloat64 t = (TFloat64) r.get(k);
          analytic[k] = new double[(int) t.size()];
          t.copyTo(DataBuffers.of(analytic[k], false, false));
        }
      }
      double h = 1e-3;
      double[][] inputs = {x, w};
      for (int k = 0; k < 2; k++) {
        double[] v = inputs[k];
        for (int i = 0; i < v.length; i++) {
          double keep = v[i];
          v[i] = keep + h;
          double plus = eval(s, xp, wp, loss, x, w, xs, ws);
          v[i] = keep - h;
          double minus = eval(s, xp, wp, loss, x, w, xs, ws);
          v[i] = keep;
          double fd = (plus - minus) / (2 * h);
          assertEquals(fd, analytic[k][i], 1e-8, (k == 0 ? "dx" : "dw") + "[" + i + "]");
        }
      }
    }
  }

  private static double eval(
      Session s,
      Placeholder<TFloat64> xp,
      Placeholder<TFloat64> wp,
      Operand<TFloat64> loss,
      double[] x,
      double[] w,
      long[] xs,
      long[] ws) {
    try (TFloat64 xt = TFloat64.tensorOf(Shape.of(xs), DataBuffers.of(x, true, false));
        TFloat64 wt = TFloat64.tensorOf(Shape.of(ws), DataBuffers.of(w, true, false));
        Result r = s.runner().feed(xp, xt).feed(wp, wt).fetch(loss).run()) {
      return ((TFloat64) r.get(0)).getDouble();
    }
  }

  @Test
  void sparseSoftmaxCrossEntropy_gradientOfMean_isSoftmaxMinusOneHotOverBatch() {
    float[] logits = {0.5f, -1f, 2f, 0f, 3f, 1f, -2f, 0.25f};
    int[] labels = {2, 0};
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> z = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(2, 4)));
      Operand<TFloat32> loss =
          tf.math.mean(
              tf.nn.sparseSoftmaxCrossEntropyWithLogits(z, tf.constant(labels)).loss(),
              tf.constant(0));
      Gradients grads = Gradients.create(tf.scope(), loss, List.of(z));
      float[] got = new float[8];
      try (TFloat32 zt = TFloat32.tensorOf(Shape.of(2, 4), DataBuffers.of(logits, true, false));
          Result r = s.runner().feed(z, zt).fetch(grads.dy(0)).run()) {
        ((TFloat32) r.get(0)).copyTo(DataBuffers.of(got, false, false));
      }
      for (int b = 0; b < 2; b++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < 4; c++) {
          max = Math.max(max, logits[4 * b + c]);
        }
        double sum = 0;
        for (int c = 0; c < 4; c++) {
          sum += Math.exp(logits[4 * b + c] - max);
        }
        for (int c = 0; c < 4; c++) {
          double p = Math.exp(logits[4 * b + c] - max) / sum;
          double expected = (p - (c == labels[b] ? 1 : 0)) / 2;
          assertEquals(expected, got[4 * b + c], 1e-6, "dlogits[" + b + "," + c + "]");
        }
      }
    }
  }

  @Test
  void sparseSoftmaxCrossEntropy_int32Labels_trainThroughLosses() {
    // The training loss path uses the sparse op when there is no label smoothing.
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> z = tf.identity(tf.constant(new float[][] {{1f, 2f}}));
      Operand<TFloat32> loss =
          Losses.mean(
              tf,
              dev.tokenlearner.config.ModelName.CLASSIFICATION,
              z,
              tf.constant(new int[] {1}),
              2,
              java.util.OptionalDouble.empty());
      Gradients grads = Gradients.create(tf.scope(), loss, List.of(z));
      try (Result r = s.runner().fetch(loss).fetch(grads.dy(0)).run()) {
        double p1 = 1 / (1 + Math.exp(-1));
        assertEquals(-Math.log(p1), ((TFloat32) r.get(0)).getFloat(), 1e-6);
        float[] d = new float[2];
        ((TFloat32) r.get(1)).copyTo(DataBuffers.of(d, false, false));
        assertEquals(1 - p1, d[0], 1e-6);
        assertEquals(p1 - 1, d[1], 1e-6);
      }
    }
  }
}
