package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The parameter trees the modules create equal Scenic's (scenic-spec §1.3), names and shapes, and
 * every parameter is a {@code VariableV2} whose op name is its path.
 */
class ParameterTreeTest {

  /** Parses {@code "path [d0, d1]"} lines into path → shape string. */
  private static Map<String, String> tree(String... entries) {
    Map<String, String> m = new TreeMap<>();
    for (String e : entries) {
      int space = e.indexOf(' ');
      m.put(e.substring(0, space), e.substring(space + 1));
    }
    return m;
  }

  static Stream<Arguments> modules() {
    return Stream.of(
        Arguments.of(
            "TokenLearnerModule",
            (Consumer<GraphFixture>)
                g ->
                    TokenLearnerModule.defaults(3)
                        .apply(
                            g.root.child(TokenLearnerModule.NAME),
                            g.input("x", 4, 4, 6),
                            Mode.INFERENCE),
            tree(
                "TokenLearnerModule_0/LayerNorm_0/scale [6]",
                "TokenLearnerModule_0/LayerNorm_0/bias [6]",
                "TokenLearnerModule_0/Conv_0/kernel [3, 3, 6, 3]",
                "TokenLearnerModule_0/Conv_1/kernel [3, 3, 3, 3]",
                "TokenLearnerModule_0/Conv_2/kernel [3, 3, 3, 3]",
                "TokenLearnerModule_0/Conv_3/kernel [3, 3, 3, 3]")),
        Arguments.of(
            "TokenLearnerModuleV11",
            (Consumer<GraphFixture>)
                g ->
                    TokenLearnerModuleV11.defaults(5)
                        .apply(
                            g.root.child(TokenLearnerModuleV11.NAME),
                            g.input("x", 12, 6),
                            Mode.INFERENCE),
            tree(
                "TokenLearnerModuleV11_0/LayerNorm_0/scale [6]",
                "TokenLearnerModuleV11_0/LayerNorm_0/bias [6]",
                "TokenLearnerModuleV11_0/token_masking/Dense_0/kernel [6, 64]",
                "TokenLearnerModuleV11_0/token_masking/Dense_0/bias [64]",
                "TokenLearnerModuleV11_0/token_masking/Dense_1/kernel [64, 5]",
                "TokenLearnerModuleV11_0/token_masking/Dense_1/bias [5]")),
        Arguments.of(
            "TokenFuser",
            (Consumer<GraphFixture>)
                g ->
                    TokenFuser.defaults()
                        .apply(
                            g.root.child(TokenFuser.NAME),
                            g.input("tokens", 3, 6),
                            g.input("original", 16, 6),
                            Mode.INFERENCE),
            tree(
                "TokenFuser_0/fuser_mix_norm1/scale [6]",
                "TokenFuser_0/fuser_mix_norm1/bias [6]",
                "TokenFuser_0/Dense_0/kernel [3, 3]",
                "TokenFuser_0/Dense_0/bias [3]",
                "TokenFuser_0/fuser_mix_norm2/scale [6]",
                "TokenFuser_0/fuser_mix_norm2/bias [6]",
                "TokenFuser_0/LayerNorm_0/scale [6]",
                "TokenFuser_0/LayerNorm_0/bias [6]",
                "TokenFuser_0/token_masking/Dense_0/kernel [6, 64]",
                "TokenFuser_0/token_masking/Dense_0/bias [64]",
                "TokenFuser_0/token_masking/Dense_1/kernel [64, 3]",
                "TokenFuser_0/token_masking/Dense_1/bias [3]")),
        Arguments.of(
            "Encoder1DBlock",
            (Consumer<GraphFixture>)
                g ->
                    Encoder1DBlock.of(16, 2)
                        .apply(g.root.named("encoderblock_0"), g.input("x", 5, 8), Mode.INFERENCE),
            tree(
                "encoderblock_0/LayerNorm_0/scale [8]",
                "encoderblock_0/LayerNorm_0/bias [8]",
                "encoderblock_0/MultiHeadDotProductAttention_0/query/kernel [8, 2, 4]",
                "encoderblock_0/MultiHeadDotProductAttention_0/query/bias [2, 4]",
                "encoderblock_0/MultiHeadDotProductAttention_0/key/kernel [8, 2, 4]",
                "encoderblock_0/MultiHeadDotProductAttention_0/key/bias [2, 4]",
                "encoderblock_0/MultiHeadDotProductAttention_0/value/kernel [8, 2, 4]",
                "encoderblock_0/MultiHeadDotProductAttention_0/value/bias [2, 4]",
                "encoderblock_0/MultiHeadDotProductAttention_0/out/kernel [2, 4, 8]",
                "encoderblock_0/MultiHeadDotProductAttention_0/out/bias [8]",
                "encoderblock_0/LayerNorm_1/scale [8]",
                "encoderblock_0/LayerNorm_1/bias [8]",
                "encoderblock_0/MlpBlock_0/Dense_0/kernel [8, 16]",
                "encoderblock_0/MlpBlock_0/Dense_0/bias [16]",
                "encoderblock_0/MlpBlock_0/Dense_1/kernel [16, 8]",
                "encoderblock_0/MlpBlock_0/Dense_1/bias [8]")),
        Arguments.of(
            "AddPositionEmbs",
            (Consumer<GraphFixture>)
                g ->
                    new AddPositionEmbs().apply(g.root.named("posembed_input"), g.input("x", 5, 8)),
            tree("posembed_input/pos_embedding [1, 5, 8]")),
        Arguments.of(
            "3-D patch Conv",
            (Consumer<GraphFixture>)
                g ->
                    Conv.patches(8, 2, 4, 4)
                        .apply(g.root.named("embedding"), g.input("x", 4, 8, 8, 3)),
            tree("embedding/kernel [2, 4, 4, 3, 8]", "embedding/bias [8]")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modules")
  void module_built_createsScenicParameterTree(
      String name, Consumer<GraphFixture> build, Map<String, String> expected) {
    try (GraphFixture g = new GraphFixture()) {
      build.accept(g);

      Map<String, String> actual = new TreeMap<>();
      g.store.shapes().forEach((path, shape) -> actual.put(path, Arrays.toString(shape)));

      assertEquals(expected, actual);
      for (String path : expected.keySet()) {
        assertEquals("VariableV2", g.graph.operationOrThrow(path).type(), path);
      }
    }
  }
}
