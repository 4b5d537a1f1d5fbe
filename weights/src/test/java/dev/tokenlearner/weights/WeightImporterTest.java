package dev.tokenlearner.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.TokenGrid;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.graph.TokenLearnerViT;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.ParameterStore;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

class WeightImporterTest {

  private static final String POS = PositionEmbeddings.PATH;
  private static final String TL = "Transformer/TokenLearnerModuleV11_0/LayerNorm_0/scale";
  private static final String FUSER = "Transformer/TokenFuser_0/Dense_0/kernel";
  private static final String HEAD_K = "output_projection/kernel";
  private static final String HEAD_B = "output_projection/bias";
  private static final String NORM = "Transformer/encoder_norm/scale";

  private static Checkpoint checkpoint(Map<String, HostArray> params) {
    return new Checkpoint(
        Path.of("ckpt"), "test", "params", OptionalLong.empty(), new TreeMap<>(params));
  }

  private static HostArray filled(long... shape) {
    HostArray a = HostArray.zeros(shape);
    for (int i = 0; i < a.data().length; i++) {
      a.data()[i] = i + 0.5f;
    }
    return a;
  }

  private static Map<String, long[]> model(Object... pathsAndShapes) {
    Map<String, long[]> m = new LinkedHashMap<>();
    for (int i = 0; i < pathsAndShapes.length; i += 2) {
      m.put((String) pathsAndShapes[i], (long[]) pathsAndShapes[i + 1]);
    }
    return m;
  }

  @Test
  void plan_exactMatch_assignsCheckpointArrays() {
    HostArray norm = filled(4);
    ImportPlan plan =
        WeightImporter.plan(
            model(NORM, new long[] {4}),
            null,
            checkpoint(Map.of(NORM, norm)),
            ImportOptions.strict());
    assertSame(norm, plan.values().get(NORM));
    assertTrue(plan.fresh().isEmpty());
    assertTrue(plan.warnings().isEmpty());
  }

  @Test
  void plan_missingUnexpectedAndWrongShape_oneExceptionListsEveryPathAndShape() {
    Map<String, long[]> model =
        model("a/kernel", new long[] {2}, "b/kernel", new long[] {3, 4}, "c/bias", new long[] {5});
    Checkpoint ckpt =
        checkpoint(Map.of("a/kernel", filled(2), "b/kernel", filled(4, 3), "d/bias", filled(7)));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () -> WeightImporter.plan(model, null, ckpt, ImportOptions.strict()));
    List<ParameterMismatch> all = e.mismatches();
    assertEquals(3, all.size());
    assertEquals(ParameterMismatch.Kind.MISSING, all.get(0).kind());
    assertEquals("c/bias", all.get(0).path());
    assertEquals(ParameterMismatch.Kind.UNEXPECTED, all.get(1).kind());
    assertEquals("d/bias", all.get(1).path());
    assertEquals(ParameterMismatch.Kind.WRONG_SHAPE, all.get(2).kind());
    assertArrayEquals(new long[] {3, 4}, all.get(2).expected().orElseThrow());
    assertArrayEquals(new long[] {4, 3}, all.get(2).found().orElseThrow());
    String msg = e.getMessage();
    assertTrue(msg.contains("1 missing, 1 unexpected, 1 wrongly shaped"), msg);
    assertTrue(msg.contains("c/bias: expected [5]"), msg);
    assertTrue(msg.contains("d/bias: found [7]"), msg);
    assertTrue(msg.contains("b/kernel: expected [3, 4], found [4, 3]"), msg);
  }

  @Test
  void plan_dropHead_keepsHeadFreshAndIgnoresCheckpointHead() {
    Map<String, long[]> model =
        model(NORM, new long[] {4}, HEAD_K, new long[] {4, 7}, HEAD_B, new long[] {7});
    Checkpoint ckpt = checkpoint(Map.of(NORM, filled(4), HEAD_K, filled(4, 5), HEAD_B, filled(5)));
    assertThrows(
        CheckpointMismatchException.class,
        () -> WeightImporter.plan(model, null, ckpt, ImportOptions.strict()));
    ImportPlan plan =
        WeightImporter.plan(
            model, null, ckpt, ImportOptions.strict().toBuilder().dropHead(true).build());
    assertEquals(List.of(HEAD_K, HEAD_B), plan.fresh());
    assertEquals(List.of(HEAD_B, HEAD_K), plan.ignored());
    assertEquals(List.of(NORM), List.copyOf(plan.values().keySet()));
  }

  @Test
  void plan_vitCheckpointWithoutTokenLearner_strictListsTokenLearnerAsMissing() {
    Map<String, long[]> model =
        model(NORM, new long[] {4}, TL, new long[] {4}, FUSER, new long[] {8, 8});
    Checkpoint ckpt = checkpoint(Map.of(NORM, filled(4)));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () -> WeightImporter.plan(model, null, ckpt, ImportOptions.strict()));
    assertEquals(List.of(TL, FUSER), e.mismatches().stream().map(ParameterMismatch::path).toList());
  }

  @Test
  void plan_allowInitFromVit_initialisesTokenLearnerFreshAndWarnsWithPaths() {
    Map<String, long[]> model =
        model(NORM, new long[] {4}, TL, new long[] {4}, FUSER, new long[] {8, 8});
    Checkpoint ckpt = checkpoint(Map.of(NORM, filled(4)));
    ImportPlan plan =
        WeightImporter.plan(
            model, null, ckpt, ImportOptions.strict().toBuilder().allowInitFromVit(true).build());
    assertEquals(List.of(TL, FUSER), plan.fresh());
    assertEquals(1, plan.warnings().size());
    assertTrue(plan.warnings().get(0).contains(TL), plan.warnings().get(0));
    assertTrue(plan.warnings().get(0).contains(FUSER), plan.warnings().get(0));
  }

  @Test
  void plan_allowInitFromVitWithPartialTokenLearner_stillReportsMissing() {
    Map<String, long[]> model = model(TL, new long[] {4}, FUSER, new long[] {8, 8});
    Checkpoint ckpt = checkpoint(Map.of(TL, filled(4)));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () ->
                WeightImporter.plan(
                    model,
                    null,
                    ckpt,
                    ImportOptions.strict().toBuilder().allowInitFromVit(true).build()));
    assertEquals(List.of(FUSER), e.mismatches().stream().map(ParameterMismatch::path).toList());
  }

  @Test
  void plan_clsAndPreLogits_unexpectedUnlessIgnored() {
    Map<String, long[]> model = model(NORM, new long[] {4});
    Checkpoint ckpt =
        checkpoint(
            Map.of(
                NORM,
                filled(4),
                "cls",
                filled(1, 1, 4),
                "pre_logits/kernel",
                filled(4, 4),
                "pre_logits/bias",
                filled(4)));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () -> WeightImporter.plan(model, null, ckpt, ImportOptions.strict()));
    assertEquals(3, e.mismatches().size());
    ImportPlan plan =
        WeightImporter.plan(
            model,
            null,
            ckpt,
            ImportOptions.strict().toBuilder().ignoreClassTokenAndPreLogits(true).build());
    assertEquals(List.of("cls", "pre_logits/bias", "pre_logits/kernel"), plan.ignored());
  }

  @Test
  void plan_preLogitsInModel_isLoadedEvenWhenIgnoringOption() {
    Map<String, long[]> model = model("pre_logits/kernel", new long[] {4, 4});
    HostArray k = filled(4, 4);
    ImportPlan plan =
        WeightImporter.plan(
            model, null, checkpoint(Map.of("pre_logits/kernel", k)), ImportOptions.initFromVit());
    assertSame(k, plan.values().get("pre_logits/kernel"));
    assertTrue(plan.ignored().isEmpty());
  }

  @Test
  void plan_posEmbeddingWithClassTokenAndSmallerGrid_resizedOnlyWithOption() {
    Map<String, long[]> model = model(POS, new long[] {1, 16, 2});
    TokenGrid grid = new TokenGrid(4, 4, 1, 16, 16);
    HostArray src = filled(1, 10, 2);
    Checkpoint ckpt = checkpoint(Map.of(POS, src));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () -> WeightImporter.plan(model, grid, ckpt, ImportOptions.strict()));
    assertTrue(e.getMessage().contains("expected [1, 16, 2], found [1, 10, 2]"), e.getMessage());
    ImportPlan plan =
        WeightImporter.plan(
            model, grid, ckpt, ImportOptions.strict().toBuilder().resizePosEmbedding(true).build());
    HostArray resized = plan.values().get(POS);
    assertArrayEquals(new long[] {1, 16, 2}, resized.shape());
    // Independent check of the corners: class row dropped, grid corners kept.
    assertEquals(src.data()[2], resized.data()[0]);
    assertEquals(src.data()[19], resized.data()[31]);
    assertEquals(1, plan.adapted().size());
  }

  @Test
  void plan_posEmbeddingNotSquare_reportedWithReason() {
    Map<String, long[]> model = model(POS, new long[] {1, 16, 2});
    TokenGrid grid = new TokenGrid(4, 4, 1, 16, 16);
    Checkpoint ckpt = checkpoint(Map.of(POS, filled(1, 12, 2)));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () ->
                WeightImporter.plan(
                    model,
                    grid,
                    ckpt,
                    ImportOptions.strict().toBuilder().resizePosEmbedding(true).build()));
    assertTrue(e.getMessage().contains("not a square grid"), e.getMessage());
  }

  @Test
  void load_dropHeadOnFixtureWithOtherClassCount_keepsZeroHeadAndCheckpointBody() throws Exception {
    Path set = Fixtures.set("tiny_v11");
    ExperimentConfig cfg = ConfigLoader.load(set.resolve("config.json"));
    Checkpoint ckpt = Checkpoints.read(Fixtures.checkpoint("tiny_v11"));
    int classes = cfg.numClasses() + 2;
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      ParameterStore store = new ParameterStore(tf);
      var images =
          tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(cfg.input().shape(-1))));
      TokenLearnerViT.build(ModuleScope.root(store), cfg.model(), classes, images, Mode.INFERENCE);
      assertThrows(
          CheckpointMismatchException.class,
          () -> WeightImporter.load(s, store, cfg.tokenGrid(), ckpt, ImportOptions.strict()));
      ImportPlan plan =
          WeightImporter.load(
              s,
              store,
              cfg.tokenGrid(),
              ckpt,
              ImportOptions.strict().toBuilder().dropHead(true).build());
      assertEquals(List.of(HEAD_B, HEAD_K), plan.fresh().stream().sorted().toList());
      Map<String, HostArray> read = store.weights().read(s);
      for (float v : read.get(HEAD_K).data()) {
        assertEquals(0f, v);
      }
      assertArrayEquals(new long[] {32, classes}, read.get(HEAD_K).shape());
      for (String path : ckpt.params().keySet()) {
        if (!path.startsWith("output_projection/")) {
          assertEquals(ckpt.params().get(path), read.get(path), path);
        }
      }
      assertFalse(read.containsKey("cls"));
    }
  }
}
