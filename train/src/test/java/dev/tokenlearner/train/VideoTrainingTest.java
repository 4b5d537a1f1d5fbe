package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TfRecords;
import dev.tokenlearner.train.data.VideoFileDataset;
import dev.tokenlearner.train.data.VideoFiles;
import dev.tokenlearner.train.data.VideoTfRecordDataset;
import dev.tokenlearner.train.summary.MetricsLog;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled Kinetics-style config trains on a small generated DMVR file and on MP4 files. */
class VideoTrainingTest {

  /** Writes {@code clips} SequenceExamples of {@code frames} 24x20 JPEG frames, label i % 3. */
  static void writeDmvr(Path file, int clips, int frames, long seed) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int c = 0; c < clips; c++) {
        List<byte[]> jpegs = new ArrayList<>();
        for (int t = 0; t < frames; t++) {
          BufferedImage img = new BufferedImage(24, 20, BufferedImage.TYPE_INT_RGB);
          for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 24; x++) {
              img.setRGB(x, y, r.nextInt(1 << 24));
            }
          }
          ByteArrayOutputStream b = new ByteArrayOutputStream();
          ImageIO.write(img, "jpg", b);
          jpegs.add(b.toByteArray());
        }
        TfRecords.write(out, VideoTfRecordDataset.sequenceExample(jpegs, c % 3));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> copy(Object m) {
    return new LinkedHashMap<>((Map<String, Object>) m);
  }

  /**
   * The bundled Kinetics config with its dataset and training keys, shrunk to a small model on 4
   * frames of 16x16, 2 steps of 2 clips; {@code dataset} entries replace dataset keys.
   */
  private static ExperimentConfig smallKinetics(Map<String, Object> dataset) throws IOException {
    return smallKinetics(dataset, Map.of());
  }

  /** As {@link #smallKinetics(Map)}, with {@code top} entries replacing top-level keys. */
  private static ExperimentConfig smallKinetics(
      Map<String, Object> dataset, Map<String, Object> top) throws IOException {
    ExperimentConfig bundled = ConfigLoader.loadNamed("kinetics_tokenlearner_b16");
    Map<String, Object> doc = copy(bundled.raw());
    Map<String, Object> ds = copy(doc.get("dataset_configs"));
    ds.put("num_frames", 4);
    ds.put("crop_size", 16);
    ds.put("min_resize", 18);
    ds.put("num_classes", 3);
    ds.remove("num_train_examples");
    ds.remove("num_eval_examples");
    ds.putAll(dataset);
    doc.put("dataset_configs", ds);
    Map<String, Object> model = copy(doc.get("model"));
    model.put("hidden_size", 32);
    model.put("num_heads", 2);
    model.put("mlp_dim", 64);
    model.put("num_layers", 2);
    Map<String, Object> tok = copy(model.get("tokenizer"));
    tok.put("patches", Map.of("size", List.of(8, 8, 2)));
    tok.put("num_tokens", 2);
    tok.put("tokenlearner_loc", 1);
    model.put("tokenizer", tok);
    doc.put("model", model);
    doc.remove("num_training_epochs");
    doc.put("num_training_steps", 2);
    doc.put("batch_size", 2);
    doc.put("eval_batch_size", 2);
    Map<String, Object> lr = copy(doc.get("lr_configs"));
    lr.put("warmup_steps", 1);
    lr.put("steps_per_cycle", 2);
    lr.put("base_learning_rate", 0.01);
    doc.put("lr_configs", lr);
    doc.putAll(top);
    ExperimentConfig cfg = ConfigLoader.fromMap(doc, "kinetics-small");
    assertArrayEquals(new long[] {-1, 4, 16, 16, 3}, cfg.input().shape(-1));
    return cfg;
  }

  /** The last value of {@code split/name} in a run's metrics.csv. */
  private static double metric(TrainSummary s, String split, String name) throws IOException {
    double v = Double.NaN;
    for (MetricsLog.Row r : MetricsLog.read(s.metricsCsv())) {
      if (r.split().equals(split) && r.name().equals(name)) {
        v = r.value();
      }
    }
    assertFalse(Double.isNaN(v), split + "/" + name + " not written");
    return v;
  }

  @Test
  void bundledKineticsConfig_smallDmvrFile_trainsAndOneViewTestEqualsEvaluation(@TempDir Path dir)
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("dmvr"));
    writeDmvr(data.resolve("train.tfrecord-00000-of-00001"), 6, 7, 1);
    writeDmvr(data.resolve("validation.tfrecord-00000-of-00001"), 2, 5, 2);
    // One view per video: the multi-crop test must give the centre-view evaluation's numbers.
    ExperimentConfig cfg =
        smallKinetics(
            Map.of(
                "base_dir", data.toString(), "num_test_clips", 1, "do_three_spatial_crops", false));

    TrainSummary s =
        Trainer.run(cfg, dir.resolve("work"), false, Optional.empty(), TrainOptions.quiet());
    assertEquals(2, s.finalStep());
    assertTrue(Double.isFinite(s.trainLoss()), "loss " + s.trainLoss());
    assertTrue(s.evalAccuracy().isPresent());
    assertTrue(s.dataset().contains("6 train / 2 held-out clips"), s.dataset());
    assertEquals(metric(s, "eval", "accuracy"), metric(s, "test", "accuracy"), 1e-9);
    assertEquals(metric(s, "eval", "loss"), metric(s, "test", "loss"), 1e-5);
  }

  /** 3 classes x 10 MP4s of 8 frames (32x24): class c's frames are solid colours of hue c. */
  private static void writeMp4Classes(Path data) throws IOException {
    for (int c = 0; c < 3; c++) {
      Path folder = Files.createDirectories(data.resolve("class" + c));
      for (int v = 0; v < 10; v++) {
        List<byte[]> frames = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          int level = 60 + 20 * t + 5 * v;
          frames.add(
              VideoFiles.solid(
                  32, 24, c == 0 ? level : 30, c == 1 ? level : 30, c == 2 ? level : 30));
        }
        VideoFiles.write(folder.resolve("v" + v + ".mp4"), "mpeg4", 32, 24, frames);
      }
    }
  }

  @Test
  void datasetName_videoFiles_readsClassFoldersUnderBaseDir(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("videos");
    writeMp4Classes(data);
    ExperimentConfig cfg =
        smallKinetics(Map.of("base_dir", data.toString()), Map.of("dataset_name", "video_files"));
    try (ImageDataset ds = Datasets.open(cfg, Optional.empty())) {
      assertTrue(ds instanceof VideoFileDataset, ds.describe());
      assertEquals(27, ds.numTrain());
      assertEquals(12, ((VideoFileDataset) ds).numViews());
    }
  }

  @Test
  void bundledKineticsConfig_mp4ClassFolders_trainsWithMultiCropTest(@TempDir Path dir)
      throws Exception {
    Path data = dir.resolve("videos");
    writeMp4Classes(data);
    // The bundled sampling: stride 2, 4 test clips x 3 spatial crops = 12 views per video.
    ExperimentConfig cfg = smallKinetics(Map.of());
    TrainSummary s =
        Trainer.run(cfg, dir.resolve("work"), false, Optional.of(data), TrainOptions.quiet());
    assertEquals(2, s.finalStep());
    assertTrue(Double.isFinite(s.trainLoss()), "loss " + s.trainLoss());
    assertTrue(s.dataset().startsWith("video_files("), s.dataset());
    assertTrue(s.dataset().contains("27 train / 3 held-out videos"), s.dataset());
    double acc = metric(s, "test", "accuracy");
    assertTrue(acc == 0 || acc == 1 / 3.0 || acc == 2 / 3.0 || acc == 1, "accuracy " + acc);
    assertTrue(Double.isFinite(metric(s, "test", "loss")));
  }
}
