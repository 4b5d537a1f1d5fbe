package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tokenlearner.core.HostArray;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The output shapes of Scenic's own TokenLearner module tests. */
class ScenicShapesTest {

  @ParameterizedTest(name = "{0}_tokens")
  @ValueSource(ints = {32, 111})
  void tokenLearnerModule_224x224x64_returnsTokensRows(int tokens) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 224, 224, 64);
      var y =
          TokenLearnerModule.defaults(tokens)
              .apply(g.root.child(TokenLearnerModule.NAME), x, Mode.INFERENCE);
      g.store.weights().initialize(g.session(), g.store.initialValues(1));
      HostArray out = g.run(y, Map.of(x, TestArrays.uniform(7, 4, 224, 224, 64)));
      assertArrayEquals(new long[] {4, tokens, 64}, out.shape());
    }
  }

  @ParameterizedTest(name = "{0}_tokens")
  @ValueSource(ints = {32, 111})
  void tokenLearnerModuleV11_224x224x64_returnsTokensRows(int tokens) {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 224, 224, 64);
      var y =
          TokenLearnerModuleV11.defaults(tokens)
              .apply(g.root.child(TokenLearnerModuleV11.NAME), x, Mode.INFERENCE);
      g.store.weights().initialize(g.session(), g.store.initialValues(1));
      HostArray out = g.run(y, Map.of(x, TestArrays.uniform(7, 4, 224, 224, 64)));
      assertArrayEquals(new long[] {4, tokens, 64}, out.shape());
    }
  }
}
