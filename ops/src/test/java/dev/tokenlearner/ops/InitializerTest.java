package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Flax's initialisers: empirical variances match {@code jax.nn.initializers.variance_scaling}
 * (lecun_normal: {@code 1/fan_in}; xavier_uniform: {@code 2/(fan_in+fan_out)}), with DenseGeneral's
 * flattened fans, and the built modules use Scenic's initialiser per parameter.
 */
class InitializerTest {

  /** Mean and variance of a sample. */
  private static double[] moments(float[] v) {
    double sum = 0;
    double sumSq = 0;
    for (float f : v) {
      sum += f;
      sumSq += (double) f * f;
    }
    double mean = sum / v.length;
    return new double[] {mean, sumSq / v.length - mean * mean};
  }

  private static double maxAbs(float[] v) {
    double m = 0;
    for (float f : v) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }

  static Stream<Arguments> lecunShapes() {
    // name, shape, fan_in
    return Stream.of(
        Arguments.of("Dense [256, 300]", new long[] {256, 300}, 256),
        Arguments.of("Conv [3, 3, 64, 200]", new long[] {3, 3, 64, 200}, 3 * 3 * 64),
        Arguments.of("Conv 3-D [2, 4, 4, 3, 400]", new long[] {2, 4, 4, 3, 400}, 2 * 4 * 4 * 3));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lecunShapes")
  void lecunNormal_largeKernel_varianceIsOneOverFanIn(String name, long[] shape, int fanIn) {
    float[] v = Initializer.lecunNormal().sample(shape, new SplittableRandom(1));

    double[] m = moments(v);
    double variance = 1.0 / fanIn;
    // Over 50000 draws the sample variance is within a few percent.
    assertEquals(0, m[0], 0.02 * Math.sqrt(variance), "mean");
    assertEquals(variance, m[1], 0.04 * variance, "variance");
    // Truncated at two standard deviations of the underlying normal.
    assertTrue(
        maxAbs(v) <= 2 * Math.sqrt(variance) / Initializer.TRUNCATED_STDDEV + 1e-6, "truncation");
  }

  static Stream<Arguments> xavierShapes() {
    // name, initializer, shape, fan_in, fan_out
    return Stream.of(
        Arguments.of(
            "xavier Dense [256, 300]",
            Initializer.xavierUniform(),
            new long[] {256, 300},
            256,
            300),
        Arguments.of(
            "xavier Conv [3, 3, 32, 100]",
            Initializer.xavierUniform(),
            new long[] {3, 3, 32, 100},
            288,
            900),
        Arguments.of(
            "DenseGeneral query [64, 8, 100]",
            Initializer.denseGeneral(1),
            new long[] {64, 8, 100},
            64,
            800),
        Arguments.of(
            "DenseGeneral out [8, 100, 64]",
            Initializer.denseGeneral(2),
            new long[] {8, 100, 64},
            800,
            64));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("xavierShapes")
  void xavierUniform_largeKernel_varianceIsTwoOverFanSum(
      String name, Initializer init, long[] shape, int fanIn, int fanOut) {
    float[] v = init.sample(shape, new SplittableRandom(2));

    double[] m = moments(v);
    double variance = 2.0 / (fanIn + fanOut);
    assertEquals(0, m[0], 0.02 * Math.sqrt(variance), "mean");
    assertEquals(variance, m[1], 0.03 * variance, "variance");
    assertTrue(maxAbs(v) <= Math.sqrt(3 * variance) + 1e-6, "uniform limit");
  }

  @Test
  void fans_denseGeneral_flattenInputAndFeatureAxes() {
    assertArrayEquals(new double[] {64, 800}, Initializer.fans(new long[] {64, 8, 100}, 1));
    assertArrayEquals(new double[] {800, 64}, Initializer.fans(new long[] {8, 100, 64}, 2));
    // Without flattening, the leading axis is a receptive field: fans 8 * 64 and 100 * 64.
    assertArrayEquals(new double[] {512, 6400}, Initializer.fans(new long[] {64, 8, 100}, 0));
  }

  @Test
  void normal_stddev_matchesVariance() {
    float[] v = Initializer.normal(0.02).sample(new long[] {1, 196, 256}, new SplittableRandom(3));

    double[] m = moments(v);
    assertEquals(0.02 * 0.02, m[1], 0.03 * 0.02 * 0.02);
  }

  @Test
  void constant_anyShape_fillsValue() {
    assertArrayEquals(
        new float[] {-10f, -10f, -10f},
        Initializer.constant(-10f).sample(new long[] {3}, new SplittableRandom(4)));
    assertArrayEquals(
        new float[] {1f, 1f}, Initializer.ones().sample(new long[] {2}, new SplittableRandom(4)));
    assertArrayEquals(
        new float[4], Initializer.zeros().sample(new long[] {2, 2}, new SplittableRandom(4)));
  }

  @Test
  void initialValues_builtModules_useScenicInitialisers() {
    try (GraphFixture g = new GraphFixture()) {
      Encoder1DBlock.of(256, 4)
          .apply(g.root.named("encoderblock_0"), g.input("x", 8, 128), Mode.INFERENCE);
      TokenFuser.defaults()
          .apply(
              g.root.child(TokenFuser.NAME),
              g.input("t", 4, 128),
              g.input("o", 16, 128),
              Mode.INFERENCE);

      Map<String, HostArray> v = g.store.initialValues(7);

      String attention = "encoderblock_0/MultiHeadDotProductAttention_0/";
      // DenseGeneral fans: query [128, 4, 32] and out [4, 32, 128] both give 2 / (128 + 128).
      assertEquals(1.0 / 128, moments(v.get(attention + "query/kernel").data())[1], 0.05 / 128);
      assertEquals(1.0 / 128, moments(v.get(attention + "out/kernel").data())[1], 0.05 / 128);
      assertArrayEquals(new float[4 * 32], v.get(attention + "key/bias").data());
      // MlpBlock: xavier_uniform kernels, N(0, 1e-6²) biases.
      assertEquals(
          2.0 / (128 + 256),
          moments(v.get("encoderblock_0/MlpBlock_0/Dense_0/kernel").data())[1],
          0.05 * 2 / 384);
      float[] mlpBias = v.get("encoderblock_0/MlpBlock_0/Dense_0/bias").data();
      assertTrue(maxAbs(mlpBias) > 0 && maxAbs(mlpBias) < 1e-5, "MlpBlock bias ~ N(0, 1e-6)");
      // LayerNorm: ones and zeros; TokenFuser's token-axis Dense starts at zero.
      assertEquals(1f, v.get("encoderblock_0/LayerNorm_0/scale").data()[127]);
      assertEquals(0f, maxAbs(v.get("TokenFuser_0/Dense_0/kernel").data()));
    }
  }

  @Test
  void initialValues_sameSeed_sameValuesAndPathsDiffer() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 16);
      var h = Dense.of(16).apply(g.root.child(Dense.NAME), x);
      Dense.of(16).apply(g.root.child(Dense.NAME), h);

      Map<String, HostArray> a = g.store.initialValues(11);
      Map<String, HostArray> b = g.store.initialValues(11);

      assertEquals(a, b);
      assertNotEquals(a.get("Dense_0/kernel"), a.get("Dense_1/kernel"));
      assertNotEquals(a.get("Dense_0/kernel"), g.store.initialValues(12).get("Dense_0/kernel"));
    }
  }
}
