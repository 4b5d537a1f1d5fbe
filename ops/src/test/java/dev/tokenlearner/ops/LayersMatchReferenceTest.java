package dev.tokenlearner.ops;

import static dev.tokenlearner.ops.TestArrays.assertClose;
import static dev.tokenlearner.ops.TestArrays.nd;
import static dev.tokenlearner.ops.TestArrays.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.reference.Nd;
import dev.tokenlearner.ops.reference.Reference;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * Every layer, with random parameters loaded through {@link ParameterStore#load} and a random input
 * fed through a dynamic-batch placeholder, against the double-precision {@link Reference}.
 */
class LayersMatchReferenceTest {

  /** float32 graph vs double reference on unit-scale values. */
  private static final double TOLERANCE = 1e-5;

  /** Prepends the batch to the per-example dimensions. */
  private static long[] batched(long batch, long... dims) {
    long[] s = new long[dims.length + 1];
    s[0] = batch;
    System.arraycopy(dims, 0, s, 1, dims.length);
    return s;
  }

  /** {@code a * scale + offset}, element-wise. */
  private static HostArray affine(HostArray a, float scale, float offset) {
    float[] v = a.data().clone();
    for (int i = 0; i < v.length; i++) {
      v[i] = v[i] * scale + offset;
    }
    return new HostArray(a.shape(), v);
  }

  @ParameterizedTest(name = "rank {0}")
  @ValueSource(ints = {2, 3, 4})
  void layerNorm_shiftedInput_matchesReference(int rank) {
    try (GraphFixture g = new GraphFixture()) {
      long[] dims = Arrays.copyOfRange(new long[] {3, 4, 7}, 4 - rank, 3);
      var x = g.input("x", dims);
      var y = LayerNorm.defaults().apply(g.root.child(LayerNorm.NAME), x);
      Map<String, HostArray> p = g.loadRandom(1);
      // A mean far from zero checks the subtraction, as Flax's fast variance is sensitive to it.
      HostArray in = affine(uniform(2, batched(3, dims)), 2f, 3f);

      Nd expected = Reference.layerNorm(nd(in), p, "LayerNorm_0");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "LayerNorm");
    }
  }

  static Stream<Arguments> denseInputs() {
    return Stream.of(
        Arguments.of("rank 2", new long[] {-1, 5}, new long[] {3, 5}),
        Arguments.of("rank 3", new long[] {-1, 4, 5}, new long[] {2, 4, 5}),
        Arguments.of("rank 3, unknown tokens", new long[] {-1, -1, 5}, new long[] {2, 3, 5}),
        Arguments.of("rank 4", new long[] {-1, 2, 3, 5}, new long[] {3, 2, 3, 5}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("denseInputs")
  void dense_randomInput_matchesReference(String name, long[] placeholder, long[] fed) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.placeholder("x", placeholder);
      var y = Dense.of(4).apply(g.root.child(Dense.NAME), x);
      Map<String, HostArray> p = g.loadRandom(3);
      HostArray in = uniform(4, fed);

      Nd expected = Reference.dense(nd(in), p, "Dense_0");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "Dense " + name);
    }
  }

  @Test
  void dense_withoutBias_createsKernelOnlyAndMatchesReference() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 5);
      var y =
          new Dense(3, false, Initializer.lecunNormal(), Initializer.zeros())
              .apply(g.root.child(Dense.NAME), x);
      Map<String, HostArray> p = g.loadRandom(5);
      HostArray in = uniform(6, 2, 5);

      Nd expected = Reference.dense(nd(in), p, "Dense_0");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "Dense without bias");
      assertEquals(Set.of("Dense_0/kernel"), p.keySet());
    }
  }

  static Stream<Arguments> convs() {
    return Stream.of(
        Arguments.of(
            "2-D 3x3 SAME stride 1",
            new long[] {3, 3},
            new long[] {1, 1},
            "SAME",
            false,
            new long[] {5, 5, 3}),
        Arguments.of(
            "2-D 2x2 VALID stride 2, ragged edge",
            new long[] {2, 2},
            new long[] {2, 2},
            "VALID",
            true,
            new long[] {5, 6, 3}),
        Arguments.of(
            "2-D 3x3 SAME stride 2",
            new long[] {3, 3},
            new long[] {2, 2},
            "SAME",
            true,
            new long[] {5, 6, 2}),
        Arguments.of(
            "2-D 4x4 SAME stride 1, odd padding",
            new long[] {4, 4},
            new long[] {1, 1},
            "SAME",
            false,
            new long[] {5, 4, 2}),
        Arguments.of(
            "2-D 3x2 VALID stride 2x1",
            new long[] {3, 2},
            new long[] {2, 1},
            "VALID",
            true,
            new long[] {6, 5, 2}),
        Arguments.of(
            "3-D 2x2x2 VALID stride 2",
            new long[] {2, 2, 2},
            new long[] {2, 2, 2},
            "VALID",
            true,
            new long[] {4, 4, 5, 2}),
        Arguments.of(
            "3-D 3x3x3 SAME stride 1",
            new long[] {3, 3, 3},
            new long[] {1, 1, 1},
            "SAME",
            false,
            new long[] {3, 4, 4, 2}),
        Arguments.of(
            "3-D 2x3x3 SAME stride 1x2x2",
            new long[] {2, 3, 3},
            new long[] {1, 2, 2},
            "SAME",
            true,
            new long[] {3, 5, 5, 2}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("convs")
  void conv_randomInput_matchesReference(
      String name, long[] window, long[] strides, String padding, boolean bias, long[] dims) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", dims);
      var y =
          new Conv(4, window, strides, padding, bias, Initializer.lecunNormal())
              .apply(g.root.child(Conv.NAME), x);
      Map<String, HostArray> p = g.loadRandom(7);
      HostArray in = uniform(8, batched(2, dims));

      Nd kernel = Reference.param(p, "Conv_0/kernel");
      Nd b = bias ? Reference.param(p, "Conv_0/bias") : null;
      int[] st = Arrays.stream(strides).mapToInt(Math::toIntExact).toArray();
      Reference.Padding pad = Reference.Padding.valueOf(padding);
      Nd expected =
          window.length == 2
              ? Reference.conv2d(nd(in), kernel, b, st, pad)
              : Reference.conv3d(nd(in), kernel, b, st, pad);

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "Conv " + name);
    }
  }

  @Test
  void gelu_wideRange_matchesTanhApproximation() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 61);
      var y = Activations.gelu(g.tf, x);
      float[] v = new float[2 * 61];
      for (int i = 0; i < v.length; i++) {
        v[i] = -6f + 0.1f * (i % 61) + (i < 61 ? 0f : 0.05f);
      }
      HostArray in = new HostArray(new long[] {2, 61}, v);

      assertClose(Reference.gelu(nd(in)), g.run(y, Map.of(x, in)), TOLERANCE, "gelu");
    }
  }

  @ParameterizedTest(name = "out_dim {0}")
  @ValueSource(ints = {0, 3})
  void mlpBlock_randomInput_matchesReference(int outDim) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 4, 6);
      var y = new MlpBlock(10, outDim, 0.1f).apply(g.root.child(MlpBlock.NAME), x, Mode.INFERENCE);
      Map<String, HostArray> p = g.loadRandom(9);
      HostArray in = uniform(10, 3, 4, 6);

      Nd expected = Reference.mlpBlock(nd(in), p, "MlpBlock_0");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "MlpBlock");
    }
  }

  @ParameterizedTest(name = "{0} heads")
  @ValueSource(ints = {1, 2, 4})
  void multiHeadDotProductAttention_randomInput_matchesReference(int heads) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 5, 8);
      var y =
          new MultiHeadDotProductAttention(heads, 0.1f)
              .apply(g.root.child(MultiHeadDotProductAttention.NAME), x, Mode.INFERENCE);
      Map<String, HostArray> p = g.loadRandom(11);
      HostArray in = uniform(12, 2, 5, 8);

      Nd expected = Reference.multiHeadAttention(nd(in), p, "MultiHeadDotProductAttention_0");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "attention");
    }
  }

  @Test
  void encoder1DBlock_inferenceWithDropoutRates_matchesReference() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 5, 8);
      // Rates are set on purpose: inference must ignore them.
      var y =
          new Encoder1DBlock(16, 2, 0.1f, 0.1f, 0.1f)
              .apply(g.root.named("encoderblock_0"), x, Mode.INFERENCE);
      Map<String, HostArray> p = g.loadRandom(13);
      HostArray in = uniform(14, 3, 5, 8);

      Nd expected = Reference.encoder1DBlock(nd(in), p, "encoderblock_0");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "Encoder1DBlock");
    }
  }

  @Test
  void addPositionEmbs_randomInput_addsEmbeddingPerExample() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 5, 6);
      var y = new AddPositionEmbs().apply(g.root.named("posembed_input"), x);
      Map<String, HostArray> p = g.loadRandom(15);
      HostArray in = uniform(16, 3, 5, 6);

      Nd expected = Reference.addPositionEmbs(nd(in), p, "posembed_input");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "AddPositionEmbs");
    }
  }

  static Stream<Arguments> tokenLearnerV1Cases() {
    return Stream.of(
        Arguments.of("sum pooling, [b, S, D]", true, new long[] {16, 6}),
        Arguments.of("sum pooling, [b, h, w, D]", true, new long[] {4, 4, 6}),
        Arguments.of("mean pooling, [b, S, D]", false, new long[] {16, 6}),
        Arguments.of("mean pooling, [b, h, w, D]", false, new long[] {4, 4, 6}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenLearnerV1Cases")
  void tokenLearnerModule_randomInput_matchesReference(String name, boolean sum, long[] dims) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", dims);
      var y =
          new TokenLearnerModule(3, sum)
              .apply(g.root.child(TokenLearnerModule.NAME), x, Mode.INFERENCE);
      Map<String, HostArray> p = g.loadRandom(17);
      HostArray in = uniform(18, batched(2, dims));

      Nd expected = Reference.tokenLearnerV1(nd(in), p, "TokenLearnerModule_0", sum);

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "TokenLearnerModule " + name);
    }
  }

  static Stream<Arguments> tokenLearnerV11Cases() {
    return Stream.of(
        Arguments.of("square S, [b, S, D]", new long[] {16, 6}),
        Arguments.of("square S, [b, h, w, D]", new long[] {4, 4, 6}),
        Arguments.of("non-square S, [b, S, D]", new long[] {12, 6}),
        Arguments.of("non-square S, [b, h, w, D]", new long[] {3, 4, 6}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenLearnerV11Cases")
  void tokenLearnerModuleV11_randomInput_matchesReference(String name, long[] dims) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", dims);
      var y =
          TokenLearnerModuleV11.defaults(5)
              .apply(g.root.child(TokenLearnerModuleV11.NAME), x, Mode.INFERENCE);
      Map<String, HostArray> p = g.loadRandom(19);
      HostArray in = uniform(20, batched(3, dims));

      Nd expected = Reference.tokenLearnerV11(nd(in), p, "TokenLearnerModuleV11_0");

      assertClose(expected, g.run(y, Map.of(x, in)), TOLERANCE, "TokenLearnerModuleV11 " + name);
    }
  }

  @ParameterizedTest(name = "original {0}")
  @ValueSource(strings = {"[b, S, D]", "[b, h, w, D]"})
  void tokenFuser_randomInputs_matchesReference(String layout) {
    try (GraphFixture g = new GraphFixture()) {
      long[] dims = layout.equals("[b, S, D]") ? new long[] {16, 6} : new long[] {4, 4, 6};
      var tokens = g.input("tokens", 3, 6);
      var original = g.input("original", dims);
      Operand<TFloat32> y =
          TokenFuser.defaults()
              .apply(g.root.child(TokenFuser.NAME), tokens, original, Mode.INFERENCE);
      Map<String, HostArray> p = g.loadRandom(21);
      HostArray t = uniform(22, 2, 3, 6);
      HostArray o = uniform(23, batched(2, dims));

      Nd expected = Reference.tokenFuser(nd(t), nd(o), p, "TokenFuser_0");

      assertClose(expected, g.run(y, Map.of(tokens, t, original, o)), TOLERANCE, "TokenFuser");
    }
  }
}
