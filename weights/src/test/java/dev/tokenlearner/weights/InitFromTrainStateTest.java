package dev.tokenlearner.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.config.TokenGrid;
import dev.tokenlearner.core.HostArray;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class InitFromTrainStateTest {

  private static final String POS = PositionEmbeddings.PATH;
  private static final String EMB_K = InitFromTrainState.EMBEDDING_KERNEL;
  private static final String EMB_B = "embedding/bias";
  private static final String HEAD_K = "output_projection/kernel";
  private static final String HEAD_B = "output_projection/bias";
  private static final String NORM = "Transformer/encoder_norm/scale";
  private static final String TL = "Transformer/TokenLearnerModuleV11_0/LayerNorm_0/scale";
  private static final TokenGrid IMAGE_2X2 = new TokenGrid(2, 2, 1, 4, 4);

  private static InitFromTrainState.Options options() {
    return new InitFromTrainState.Options(true, "resize", true, Optional.empty(), 0);
  }

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

  /** A small image model: embedding, position embedding, a norm, TokenLearner and a 3-way head. */
  private static Map<String, long[]> model() {
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put(EMB_K, new long[] {2, 2, 3, 4});
    m.put(EMB_B, new long[] {4});
    m.put(POS, new long[] {1, 4, 4});
    m.put(NORM, new long[] {4});
    m.put(TL, new long[] {4});
    m.put(HEAD_K, new long[] {4, 3});
    m.put(HEAD_B, new long[] {3});
    return m;
  }

  private static Map<String, HostArray> source() {
    Map<String, HostArray> s = new LinkedHashMap<>();
    s.put(EMB_K, filled(2, 2, 3, 4));
    s.put(EMB_B, filled(4));
    s.put(POS, filled(1, 4, 4));
    s.put(NORM, filled(4));
    s.put(TL, filled(4));
    s.put(HEAD_K, filled(4, 3));
    s.put(HEAD_B, filled(3));
    return s;
  }

  @Test
  void plan_sameModel_restoresEveryParameter() {
    ImportPlan p = InitFromTrainState.plan(model(), IMAGE_2X2, checkpoint(source()), options());
    assertEquals(model().keySet(), p.values().keySet());
    assertTrue(p.fresh().isEmpty());
    assertTrue(p.adapted().isEmpty());
  }

  @Test
  void plan_otherClassCount_headFreshAndCheckpointHeadIgnored() {
    Map<String, HostArray> s = source();
    s.put(HEAD_K, filled(4, 5));
    s.put(HEAD_B, filled(5));
    ImportPlan p = InitFromTrainState.plan(model(), IMAGE_2X2, checkpoint(s), options());
    assertEquals(List.of(HEAD_K, HEAD_B), p.fresh());
    assertTrue(p.ignored().containsAll(List.of(HEAD_K, HEAD_B)));
    assertFalse(p.values().containsKey(HEAD_K));
    assertSame(s.get(NORM), p.values().get(NORM));
  }

  @Test
  void plan_vitCheckpointWithClassToken_tokenLearnerFreshPosEmbResized() {
    Map<String, HostArray> s = source();
    s.remove(TL);
    s.put("cls", filled(1, 1, 4));
    s.put(POS, filled(1, 17, 4)); // class token + a 4x4 grid
    ImportPlan p = InitFromTrainState.plan(model(), IMAGE_2X2, checkpoint(s), options());
    assertEquals(List.of(TL), p.fresh());
    assertTrue(p.ignored().contains("cls"));
    assertArrayEquals(new long[] {1, 4, 4}, p.values().get(POS).shape());
    assertTrue(p.adapted().get(0).startsWith("resized " + POS), p.adapted().toString());
    // Corners of the 4x4 grid (rows 1, 4, 13, 16 after the class token) are kept exactly.
    float[] src = s.get(POS).data();
    float[] got = p.values().get(POS).data();
    assertEquals(src[4], got[0]);
    assertEquals(src[16 * 4 + 3], got[3 * 4 + 3]);
  }

  @Test
  void plan_restoreFlagsOff_embeddingAndPosEmbStayFresh() {
    InitFromTrainState.Options o =
        new InitFromTrainState.Options(false, "resize", false, Optional.empty(), 0);
    ImportPlan p = InitFromTrainState.plan(model(), IMAGE_2X2, checkpoint(source()), o);
    assertTrue(p.fresh().containsAll(List.of(EMB_K, EMB_B, POS)), p.fresh().toString());
    assertFalse(p.values().containsKey(POS));
    assertTrue(p.values().containsKey(NORM));
  }

  @Test
  void plan_wrongHiddenSize_strictMismatchListsPathAndShapes() {
    Map<String, HostArray> s = source();
    s.put(NORM, filled(8));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () -> InitFromTrainState.plan(model(), IMAGE_2X2, checkpoint(s), options()));
    assertTrue(e.getMessage().contains(NORM), e.getMessage());
    assertTrue(e.getMessage().contains("[8]"), e.getMessage());
  }

  @Test
  void plan_videoFromImage_inflatesKernelAndTilesPosEmb() {
    TokenGrid video = new TokenGrid(2, 2, 3, 4, 12);
    Map<String, long[]> m = model();
    m.put(EMB_K, new long[] {3, 2, 2, 3, 4});
    m.put(POS, new long[] {1, 12, 4});
    InitFromTrainState.Options o =
        new InitFromTrainState.Options(
            true, "tile", true, Optional.of(InitFromTrainState.CENTRAL_FRAME), 0);
    Map<String, HostArray> s = source();
    ImportPlan p = InitFromTrainState.plan(m, video, checkpoint(s), o);
    HostArray k = p.values().get(EMB_K);
    int frame = 2 * 2 * 3 * 4;
    float[] src = s.get(EMB_K).data();
    for (int i = 0; i < frame; i++) {
      assertEquals(0f, k.data()[i]);
      assertEquals(src[i], k.data()[frame + i]);
      assertEquals(0f, k.data()[2 * frame + i]);
    }
    float[] pos = p.values().get(POS).data();
    for (int i = 0; i < 12 * 4; i++) {
      assertEquals(s.get(POS).data()[i % 16], pos[i]);
    }
    assertEquals(2, p.adapted().size(), p.adapted().toString());
  }

  @Test
  void inflate_average_repeatsKernelDividedByFrames() {
    HostArray k = filled(1, 1, 1, 2);
    HostArray out =
        InitFromTrainState.inflate(
            k, new long[] {4, 1, 1, 1, 2}, Optional.of(InitFromTrainState.AVERAGE_FRAME));
    assertArrayEquals(
        new float[] {0.125f, 0.375f, 0.125f, 0.375f, 0.125f, 0.375f, 0.125f, 0.375f}, out.data());
  }

  @Test
  void plan_videoWithoutKernelInitMethod_mismatchNamesTheMissingKey() {
    Map<String, long[]> m = model();
    m.put(EMB_K, new long[] {3, 2, 2, 3, 4});
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () -> InitFromTrainState.plan(m, IMAGE_2X2, checkpoint(source()), options()));
    assertTrue(e.getMessage().contains("kernel_init_method"), e.getMessage());
  }
}
