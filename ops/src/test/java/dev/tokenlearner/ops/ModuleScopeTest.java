package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Flax's naming rules as {@link ModuleScope} implements them. */
class ModuleScopeTest {

  @Test
  void child_sameClassTwice_countsUp() {
    try (GraphFixture g = new GraphFixture()) {
      assertEquals("Dense_0", g.root.child("Dense").path());
      assertEquals("Dense_1", g.root.child("Dense").path());
      assertEquals("Dense_2", g.root.child("Dense").path());
    }
  }

  @Test
  void child_otherClasses_haveTheirOwnCounters() {
    try (GraphFixture g = new GraphFixture()) {
      List<String> paths =
          List.of(
              g.root.child("LayerNorm").path(),
              g.root.child("Dense").path(),
              g.root.child("LayerNorm").path(),
              g.root.child("Conv").path(),
              g.root.child("Dense").path());

      assertEquals(List.of("LayerNorm_0", "Dense_0", "LayerNorm_1", "Conv_0", "Dense_1"), paths);
    }
  }

  @Test
  void child_differentParents_countSeparately() {
    try (GraphFixture g = new GraphFixture()) {
      ModuleScope first = g.root.child("MlpBlock");
      ModuleScope second = g.root.child("MlpBlock");

      assertEquals("MlpBlock_0/Dense_0", first.child("Dense").path());
      assertEquals("MlpBlock_1/Dense_0", second.child("Dense").path());
      assertEquals("MlpBlock_0/Dense_1", first.child("Dense").path());
    }
  }

  @Test
  void named_doesNotAdvanceCounter() {
    try (GraphFixture g = new GraphFixture()) {
      // TokenFuser: two named LayerNorms, then the unnamed one is still LayerNorm_0.
      assertEquals("fuser_mix_norm1", g.root.named("fuser_mix_norm1").path());
      assertEquals("fuser_mix_norm2", g.root.named("fuser_mix_norm2").path());
      assertEquals("LayerNorm_0", g.root.child("LayerNorm").path());
      assertEquals(
          "Transformer/encoder_norm", g.root.named("Transformer").named("encoder_norm").path());
    }
  }

  @Test
  void modules_appliedTwice_getSuccessiveNames() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 16, 8);
      var y =
          TokenLearnerModuleV11.defaults(4)
              .apply(g.root.child(TokenLearnerModuleV11.NAME), x, Mode.INFERENCE);
      TokenLearnerModuleV11.defaults(2)
          .apply(g.root.child(TokenLearnerModuleV11.NAME), y, Mode.INFERENCE);

      assertEquals(List.of(4L), dims(g, "TokenLearnerModuleV11_0/token_masking/Dense_1/bias"));
      assertEquals(List.of(2L), dims(g, "TokenLearnerModuleV11_1/token_masking/Dense_1/bias"));
    }
  }

  private static List<Long> dims(GraphFixture g, String path) {
    return Arrays.stream(g.store.get(path).shape()).boxed().toList();
  }

  @Test
  void param_nestedScopes_variableOpNameIsThePath() {
    try (GraphFixture g = new GraphFixture()) {
      ModuleScope s =
          g.root.named("Transformer").named("encoderblock_0").child("MlpBlock").child("Dense");

      s.param("kernel", new long[] {2, 3}, Initializer.zeros());

      Parameter p = g.store.get("Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel");
      assertEquals(
          "Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel", p.variable().op().name());
      assertEquals("VariableV2", g.graph.operationOrThrow(p.path()).type());
    }
  }

  @Test
  void param_samePathTwice_throws() {
    try (GraphFixture g = new GraphFixture()) {
      g.root.named("head").param("bias", new long[] {3}, Initializer.zeros());

      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> g.root.named("head").param("bias", new long[] {3}, Initializer.zeros()));
      assertTrue(e.getMessage().contains("head/bias"), e.getMessage());
    }
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "a/b", "_x", "has space"})
  void named_invalidName_throws(String name) {
    try (GraphFixture g = new GraphFixture()) {
      assertThrows(IllegalArgumentException.class, () -> g.root.named(name));
    }
  }

  @Test
  void nextSeed_rootWithoutKey_throwsNamingModule() {
    try (GraphFixture g = new GraphFixture()) {
      ModuleScope s = g.root.named("encoderblock_0");

      IllegalStateException e = assertThrows(IllegalStateException.class, s::nextSeed);
      assertTrue(e.getMessage().contains("encoderblock_0"), e.getMessage());
    }
  }

  @Test
  void describe_root_isReadable() {
    try (GraphFixture g = new GraphFixture()) {
      assertEquals("", g.root.path());
      assertEquals("<root>", g.root.describe());
      assertNull(g.store.get("missing"));
    }
  }
}
