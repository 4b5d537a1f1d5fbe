package dev.tokenlearner.ops;

import static dev.tokenlearner.ops.TestArrays.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/** {@link Dropout} and {@link StochasticDepth}: identity at inference, Flax's masks in training. */
class DropoutTest {

  /** Values in [1, 2), so a dropped element (0) is never confused with a kept one. */
  private static HostArray positive(long seed, long... shape) {
    HostArray u = uniform(seed, shape);
    float[] v = u.data();
    for (int i = 0; i < v.length; i++) {
      v[i] = 1.5f + 0.5f * v[i];
    }
    return u;
  }

  private static ModuleScope keyed(GraphFixture g, long seed) {
    return ModuleScope.root(g.store, g.tf.constant(new long[] {seed, 0}));
  }

  @Test
  void dropout_inference_returnsInput() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 4);

      assertSame(x, new Dropout(0.5f).apply(keyed(g, 1), x, Mode.INFERENCE));
      assertSame(x, new Dropout(0f).apply(keyed(g, 1), x, Mode.TRAINING));
    }
  }

  @ParameterizedTest(name = "rate {0}")
  @ValueSource(floats = {0.1f, 0.3f, 0.5f})
  void dropout_training_keepsOneMinusRateScaled(float rate) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 100, 100);
      Operand<TFloat32> y = new Dropout(rate).apply(keyed(g, 7), x, Mode.TRAINING);
      HostArray in = positive(2, 2, 100, 100);

      HostArray out = g.run(y, Map.of(x, in));

      int kept = 0;
      for (int i = 0; i < in.data().length; i++) {
        float v = out.data()[i];
        if (v != 0f) {
          kept++;
          float expected = in.data()[i] / (1f - rate);
          assertEquals(expected, v, 1e-6f * expected, "element " + i);
        }
      }
      double fraction = kept / (double) in.data().length;
      // 20000 Bernoulli draws: the standard deviation is at most 0.0036.
      assertEquals(1 - rate, fraction, 0.02, "kept fraction");
    }
  }

  @Test
  void dropout_training_sameKeyGivesSameMaskAndSitesDiffer() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 64);
      ModuleScope root = keyed(g, 3);
      Operand<TFloat32> first = new Dropout(0.5f).apply(root, x, Mode.TRAINING);
      Operand<TFloat32> second = new Dropout(0.5f).apply(root, x, Mode.TRAINING);
      HostArray in = positive(4, 1, 64);

      List<HostArray> a = g.runAll(List.of(first, second), Map.of(x, in));
      List<HostArray> b = g.runAll(List.of(first, second), Map.of(x, in));

      assertEquals(a.get(0), b.get(0), "stateless: the same key gives the same mask");
      assertNotEquals(a.get(0), a.get(1), "two dropout sites draw different masks");
    }
  }

  @Test
  void stochasticDepth_inference_returnsInput() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 4);

      assertSame(x, new StochasticDepth(0.5f).apply(keyed(g, 1), x, Mode.INFERENCE));
      assertSame(x, new StochasticDepth(0f).apply(keyed(g, 1), x, Mode.TRAINING));
    }
  }

  @Test
  void stochasticDepth_training_dropsWholeExamplesWithoutRescaling() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 3, 2);
      Operand<TFloat32> y = new StochasticDepth(0.25f).apply(keyed(g, 5), x, Mode.TRAINING);
      HostArray in = positive(6, 400, 3, 2);

      HostArray out = g.run(y, Map.of(x, in));

      int kept = 0;
      for (int b = 0; b < 400; b++) {
        boolean keep = out.data()[b * 6] != 0f;
        for (int i = b * 6; i < b * 6 + 6; i++) {
          assertEquals(keep ? in.data()[i] : 0f, out.data()[i], "example " + b + " element " + i);
        }
        kept += keep ? 1 : 0;
      }
      // 400 Bernoulli draws: the standard deviation is 0.022.
      assertEquals(0.75, kept / 400.0, 0.1, "kept fraction of examples");
      assertTrue(kept < 400, "some examples are dropped");
    }
  }
}
