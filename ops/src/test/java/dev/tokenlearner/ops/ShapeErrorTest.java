package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Inputs of the wrong rank, with unknown dimensions, or with mismatched features are refused while
 * the graph is built, with a message naming the module path and the shape at fault.
 */
class ShapeErrorTest {

  private static Arguments error(String name, Consumer<GraphFixture> build, String... expected) {
    return Arguments.of(name, build, expected);
  }

  static Stream<Arguments> mistakes() {
    return Stream.of(
        error(
            "LayerNorm, unknown features",
            g -> LayerNorm.defaults().apply(g.root.named("encoder_norm"), g.input("x", -1)),
            "encoder_norm",
            "[?, ?]"),
        error(
            "Dense, unknown input width",
            g -> Dense.of(3).apply(g.root.named("head"), g.input("x", 4, -1)),
            "head",
            "[?, 4, ?]"),
        error(
            "Conv 2-D on a rank-3 input",
            g -> Conv.patches(8, 4, 4).apply(g.root.named("embedding"), g.input("x", 16, 3)),
            "embedding",
            "[batch, h, w, channels]",
            "[?, 16, 3]"),
        error(
            "Conv 3-D on an image",
            g -> Conv.patches(8, 2, 4, 4).apply(g.root.named("embedding"), g.input("x", 16, 16, 3)),
            "embedding",
            "[batch, t, h, w, channels]",
            "[?, 16, 16, 3]"),
        error(
            "Conv with an unknown spatial size",
            g -> Conv.patches(8, 4, 4).apply(g.root.named("embedding"), g.input("x", -1, 16, 3)),
            "embedding",
            "only the batch dimension may be unknown",
            "[?, ?, 16, 3]"),
        error(
            "MultiHeadDotProductAttention, rank 2",
            g ->
                new MultiHeadDotProductAttention(2, 0f)
                    .apply(
                        g.root.child(MultiHeadDotProductAttention.NAME),
                        g.input("x", 8),
                        Mode.INFERENCE),
            "MultiHeadDotProductAttention_0",
            "[?, 8]"),
        error(
            "MultiHeadDotProductAttention, heads do not divide features",
            g ->
                new MultiHeadDotProductAttention(4, 0f)
                    .apply(
                        g.root.child(MultiHeadDotProductAttention.NAME),
                        g.input("x", 5, 6),
                        Mode.INFERENCE),
            "MultiHeadDotProductAttention_0",
            "features 6",
            "num_heads 4"),
        error(
            "Encoder1DBlock, rank 4",
            g ->
                Encoder1DBlock.of(16, 2)
                    .apply(g.root.named("encoderblock_3"), g.input("x", 4, 4, 8), Mode.INFERENCE),
            "encoderblock_3",
            "[batch, tokens, features]",
            "[?, 4, 4, 8]"),
        error(
            "AddPositionEmbs, rank 4",
            g -> new AddPositionEmbs().apply(g.root.named("posembed_input"), g.input("x", 4, 4, 8)),
            "posembed_input",
            "[?, 4, 4, 8]"),
        error(
            "TokenLearnerModule, rank 2",
            g ->
                TokenLearnerModule.defaults(4)
                    .apply(g.root.child(TokenLearnerModule.NAME), g.input("x", 8), Mode.INFERENCE),
            "TokenLearnerModule_0",
            "[?, 8]"),
        error(
            "TokenLearnerModule, non-square token count",
            g ->
                TokenLearnerModule.defaults(4)
                    .apply(
                        g.root.child(TokenLearnerModule.NAME), g.input("x", 12, 8), Mode.INFERENCE),
            "TokenLearnerModule_0",
            "square",
            "12 tokens",
            "[?, 12, 8]"),
        error(
            "TokenLearnerModule, non-square grid",
            g ->
                TokenLearnerModule.defaults(4)
                    .apply(
                        g.root.child(TokenLearnerModule.NAME),
                        g.input("x", 3, 4, 8),
                        Mode.INFERENCE),
            "TokenLearnerModule_0",
            "square",
            "[?, 3, 4, 8]"),
        error(
            "TokenLearnerModuleV11, rank 5",
            g ->
                TokenLearnerModuleV11.defaults(4)
                    .apply(
                        g.root.child(TokenLearnerModuleV11.NAME),
                        g.input("x", 2, 4, 4, 8),
                        Mode.INFERENCE),
            "TokenLearnerModuleV11_0",
            "[?, 2, 4, 4, 8]"),
        error(
            "TokenFuser, tokens of rank 4",
            g ->
                TokenFuser.defaults()
                    .apply(
                        g.root.child(TokenFuser.NAME),
                        g.input("t", 2, 2, 8),
                        g.input("o", 16, 8),
                        Mode.INFERENCE),
            "TokenFuser_0",
            "tokens",
            "[?, 2, 2, 8]"),
        error(
            "TokenFuser, features differ",
            g ->
                TokenFuser.defaults()
                    .apply(
                        g.root.child(TokenFuser.NAME),
                        g.input("t", 4, 6),
                        g.input("o", 16, 8),
                        Mode.INFERENCE),
            "TokenFuser_0",
            "[?, 4, 6]",
            "[?, 16, 8]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void apply_badInput_throwsNamingPathAndShape(
      String name, Consumer<GraphFixture> build, String[] expected) {
    try (GraphFixture g = new GraphFixture()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> build.accept(g));

      for (String part : expected) {
        assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
      }
    }
  }

  static Stream<Arguments> badSettings() {
    return Stream.of(
        Arguments.of("Dropout rate 1", (Runnable) () -> new Dropout(1f), "dropout rate"),
        Arguments.of(
            "StochasticDepth rate -0.1",
            (Runnable) () -> new StochasticDepth(-0.1f),
            "stochastic depth rate"),
        Arguments.of(
            "Conv padding FULL",
            (Runnable)
                () ->
                    new Conv(
                        4,
                        new long[] {3, 3},
                        new long[] {1, 1},
                        "FULL",
                        false,
                        Initializer.zeros()),
            "FULL"),
        Arguments.of("Conv 1-D window", (Runnable) () -> Conv.patches(4, 3), "[3]"),
        Arguments.of(
            "Conv strides of another rank",
            (Runnable)
                () ->
                    new Conv(
                        4, new long[] {3, 3}, new long[] {1}, "SAME", false, Initializer.zeros()),
            "[1]"),
        Arguments.of(
            "Dense 0 features",
            (Runnable) () -> Dense.of(0),
            "Dense features must be positive, got 0"),
        Arguments.of(
            "MlpBlock 0 width",
            (Runnable) () -> MlpBlock.of(0, 0f),
            "MlpBlock widths must be positive"),
        Arguments.of(
            "attention with 0 heads",
            (Runnable) () -> new MultiHeadDotProductAttention(0, 0f),
            "num_heads"),
        Arguments.of(
            "TokenLearnerModule 0 tokens",
            (Runnable) () -> TokenLearnerModule.defaults(0),
            "num_tokens"),
        Arguments.of(
            "TokenLearnerModuleV11 0 bottleneck",
            (Runnable) () -> new TokenLearnerModuleV11(4, 0, 0f),
            "bottleneck_dim"),
        Arguments.of(
            "TokenFuser 0 bottleneck", (Runnable) () -> new TokenFuser(0, 0f), "bottleneck_dim"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSettings")
  void constructor_badSetting_throwsNamingIt(String name, Runnable create, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, create::run);

    assertTrue(
        e.getMessage().contains(expected), "'" + e.getMessage() + "' lacks '" + expected + "'");
  }
}
