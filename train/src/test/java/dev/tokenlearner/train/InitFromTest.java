package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.train.data.NpzFiles;
import dev.tokenlearner.weights.CheckpointMismatchException;
import dev.tokenlearner.weights.ImportPlan;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.ConfigProto;

/** {@code init_from} in the trainer: fine-tuning starts from a trained run's checkpoint. */
class InitFromTest {

  @TempDir static Path shared;

  /** A 4-class tiny run trained for 2 steps: the checkpoint to start from. */
  private static Path pretrained;

  @BeforeAll
  static void pretrain() throws Exception {
    pretrained = shared.resolve("pretrained");
    Trainer.run(
        TestConfigs.tiny("num_training_steps: 2"),
        pretrained,
        false,
        Optional.empty(),
        TrainOptions.quiet());
  }

  private static String initFrom(Path checkpoint) {
    return "init_from: {checkpoint_path: '" + checkpoint.toAbsolutePath() + "'}";
  }

  @Test
  void apply_otherClassCount_restoresBodyFreshHeadWithInitHeadBiasStepZero() throws Exception {
    ExperimentConfig cfg =
        TestConfigs.tiny(
            "dataset_configs: {num_classes: 3}", "init_head_bias: -1.5", initFrom(pretrained));
    Checkpoint source = Checkpoints.read(pretrained);
    try (TrainGraph train = new TrainGraph(cfg, ConfigProto.getDefaultInstance())) {
      train.initialize(cfg.train().rngSeed(), cfg.train().initHeadBias());
      ImportPlan plan = InitFrom.apply(cfg, train.store(), train.session()).orElseThrow();
      Map<String, HostArray> params = train.params();
      assertEquals(
          Set.of("output_projection/kernel", "output_projection/bias"), Set.copyOf(plan.fresh()));
      for (String path : plan.values().keySet()) {
        assertArrayEquals(source.params().get(path).data(), params.get(path).data(), path);
      }
      assertEquals(params.size() - 2, plan.values().size());
      float[] bias = params.get("output_projection/bias").data();
      assertArrayEquals(new float[] {-1.5f, -1.5f, -1.5f}, bias);
      float[] kernel = params.get("output_projection/kernel").data();
      assertTrue(allZero(kernel), "fresh head kernel is Scenic's zeros");
      assertEquals(0, train.step());
    }
  }

  @Test
  void apply_sameModel_headRestoredSoInitHeadBiasDoesNotApply() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("init_head_bias: -1.5", initFrom(pretrained));
    Checkpoint source = Checkpoints.read(pretrained);
    try (TrainGraph train = new TrainGraph(cfg, ConfigProto.getDefaultInstance())) {
      train.initialize(cfg.train().rngSeed(), cfg.train().initHeadBias());
      ImportPlan plan = InitFrom.apply(cfg, train.store(), train.session()).orElseThrow();
      assertTrue(plan.fresh().isEmpty(), plan.fresh().toString());
      float[] bias = train.params().get("output_projection/bias").data();
      assertArrayEquals(source.params().get("output_projection/bias").data(), bias);
      assertNotEquals(-1.5f, bias[0]);
    }
  }

  @Test
  void run_withInitFrom_trainsFromTheCheckpointWithFreshOptimizerState() throws Exception {
    ExperimentConfig cfg =
        TestConfigs.tiny(
            "dataset_configs: {num_classes: 3}", "num_training_steps: 2", initFrom(pretrained));
    Path dir = shared.resolve("finetune");
    TrainSummary s = Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet());
    assertEquals(0, s.startStep());
    assertEquals(2, s.finalStep());
    Checkpoint tuned = Checkpoints.read(dir);
    assertEquals(2, tuned.step().orElseThrow());
    assertArrayEquals(new long[] {32, 3}, tuned.params().get("output_projection/kernel").shape());
  }

  @Test
  void run_checkpointOfAnotherWidth_strictMismatchNamesPathsBeforeTraining() {
    ExperimentConfig cfg =
        TestConfigs.tiny("model: {hidden_size: 16, num_heads: 2}", initFrom(pretrained));
    Path dir = shared.resolve("mismatch");
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () -> Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet()));
    assertTrue(e.getMessage().contains("embedding/kernel"), e.getMessage());
    assertTrue(e.getMessage().contains("[4, 4, 3, 16]"), e.getMessage());
    assertTrue(e.getMessage().contains("[4, 4, 3, 32]"), e.getMessage());
  }

  @Test
  void run_videoModelFromImageCheckpoint_inflatesKernelAndTrainsOnClipArrays() throws Exception {
    Path data = shared.resolve("clips.npz");
    int n = 4;
    float[] clips = new float[n * 4 * 16 * 16 * 3];
    for (int i = 0; i < clips.length; i++) {
      clips[i] = (float) Math.sin(i * 0.37);
    }
    NpzFiles.write(
        data,
        Map.of("images", new HostArray(new long[] {n, 4, 16, 16, 3}, clips)),
        Map.of("labels", new int[] {0, 1, 2, 3}));
    ExperimentConfig cfg =
        TestConfigs.tiny(
            "dataset_configs: {num_frames: 4}",
            "batch_size: 4",
            "num_training_steps: 1",
            "model: {tokenizer: {type: video, patches: {size: [4, 4, 2]},"
                + " temporal_encoding_config: {method: 3d_conv,"
                + " kernel_init_method: central_frame_initializer}}}",
            "init_from: {checkpoint_path: '"
                + pretrained.toAbsolutePath()
                + "', positional_embed_size_change: tile}");
    TrainSummary s =
        Trainer.run(cfg, shared.resolve("video"), false, Optional.of(data), TrainOptions.quiet());
    assertEquals(1, s.finalStep());
    // linear_warmup's learning rate is 0 at step 0, so the one step leaves the weights as loaded.
    float[] k = Checkpoints.read(shared.resolve("video")).params().get("embedding/kernel").data();
    float[] src = Checkpoints.read(pretrained).params().get("embedding/kernel").data();
    // Two frames: the centre frame (index 1) holds the image kernel, frame 0 is zero.
    assertEquals(2 * src.length, k.length);
    assertTrue(allZero(Arrays.copyOfRange(k, 0, src.length)));
    assertArrayEquals(src, Arrays.copyOfRange(k, src.length, 2 * src.length));
    String pos = "Transformer/posembed_input/pos_embedding";
    float[] tiled = Checkpoints.read(shared.resolve("video")).params().get(pos).data();
    float[] image = Checkpoints.read(pretrained).params().get(pos).data();
    assertEquals(2 * image.length, tiled.length);
    assertArrayEquals(image, Arrays.copyOfRange(tiled, 0, image.length));
    assertArrayEquals(image, Arrays.copyOfRange(tiled, image.length, tiled.length));
    assertTrue(Double.isFinite(s.trainLoss()));
  }

  private static boolean allZero(float[] a) {
    for (float v : a) {
      if (v != 0f) {
        return false;
      }
    }
    return true;
  }
}
