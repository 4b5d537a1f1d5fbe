package dev.tokenlearner.ops;

import static dev.tokenlearner.ops.TestArrays.nd;
import static dev.tokenlearner.ops.TestArrays.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.reference.Nd;
import dev.tokenlearner.ops.reference.Reference;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The Java-registered {@code Conv3D} gradient. The loss {@code Σ c·conv3d(x, w)} is linear in
 * {@code x} and in {@code w}, so its derivative along any direction {@code u} equals the loss
 * evaluated at {@code u}: {@code <∂L/∂w, u> = Σ c·conv3d(x, u)} and {@code <∂L/∂x, u> = Σ
 * c·conv3d(u, w)}, computed with the reference convolution.
 */
class Conv3dGradientTest {

  private static double dot(Nd a, Nd b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      s += a.data()[i] * b.data()[i];
    }
    return s;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"SAME", "VALID"})
  void conv3dGradient_linearLoss_matchesDirectionalDerivatives(String padding) {
    try (GraphFixture g = new GraphFixture()) {
      long[] window = {2, 3, 3};
      long[] strides = {1, 2, 2};
      var x = g.input("x", 3, 5, 5, 2);
      Operand<TFloat32> y =
          new Conv(4, window, strides, padding, false, Initializer.lecunNormal())
              .apply(g.root.child(Conv.NAME), x);
      long[] outDims = {y.shape().get(1), y.shape().get(2), y.shape().get(3), 4};
      var c = g.input("c", outDims);
      var flat = g.tf.reshape(g.tf.math.mul(y, c), g.tf.constant(new long[] {-1}));
      Operand<TFloat32> loss = g.tf.sum(flat, g.tf.constant(0));
      Operand<TFloat32> w = g.store.get("Conv_0/kernel").value();
      var grads = g.tf.gradients(loss, List.of(x, w));
      Map<String, HostArray> p = g.loadRandom(41);
      HostArray xv = uniform(42, 2, 3, 5, 5, 2);
      HostArray cv = uniform(43, 2, outDims[0], outDims[1], outDims[2], outDims[3]);

      List<HostArray> d =
          g.runAll(List.<Operand<TFloat32>>of(grads.dy(0), grads.dy(1)), Map.of(x, xv, c, cv));

      int[] st = {1, 2, 2};
      Reference.Padding pad = Reference.Padding.valueOf(padding);
      Nd kernel = Reference.param(p, "Conv_0/kernel");
      Nd u = nd(uniform(44, xv.shape()));
      Nd v = nd(uniform(45, kernel.longShape()));
      double alongX = dot(nd(cv), Reference.conv3d(u, kernel, null, st, pad));
      double alongW = dot(nd(cv), Reference.conv3d(nd(xv), v, null, st, pad));
      assertEquals(
          alongX, dot(nd(d.get(0)), u), 1e-4 * Math.max(1, Math.abs(alongX)), "input gradient");
      assertEquals(
          alongW, dot(nd(d.get(1)), v), 1e-4 * Math.max(1, Math.abs(alongW)), "kernel gradient");
    }
  }
}
