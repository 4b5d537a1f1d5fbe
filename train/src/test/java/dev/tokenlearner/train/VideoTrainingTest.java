package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.graph.config.ConfigLoader;
import dev.tokenlearner.graph.config.ExperimentConfig;
import dev.tokenlearner.train.data.TfRecords;
import dev.tokenlearner.train.data.VideoTfRecordDataset;
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

/** The bundled Kinetics-style config trains on a small generated DMVR file. */
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

  @Test
  void bundledKineticsConfig_smallDmvrFile_trainsAndEvaluates(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("dmvr"));
    writeDmvr(data.resolve("train.tfrecord-00000-of-00001"), 6, 7, 1);
    writeDmvr(data.resolve("validation.tfrecord-00000-of-00001"), 2, 5, 2);
    ExperimentConfig bundled = ConfigLoader.loadNamed("kinetics_tokenlearner_b16");
    // The bundled dataset and training keys; a small model, 4 frames of 16x16, a few steps.
    Map<String, Object> doc = copy(bundled.raw());
    Map<String, Object> ds = copy(doc.get("dataset_configs"));
    ds.put("base_dir", data.toString());
    ds.put("num_frames", 4);
    ds.put("crop_size", 16);
    ds.put("min_resize", 18);
    ds.put("num_classes", 3);
    ds.remove("num_train_examples");
    ds.remove("num_eval_examples");
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
    ExperimentConfig cfg = ConfigLoader.fromMap(doc, "kinetics-small");
    assertArrayEquals(new long[] {-1, 4, 16, 16, 3}, cfg.input().shape(-1));

    TrainSummary s =
        Trainer.run(cfg, dir.resolve("work"), false, Optional.empty(), TrainOptions.quiet());
    assertEquals(2, s.finalStep());
    assertTrue(Double.isFinite(s.trainLoss()), "loss " + s.trainLoss());
    assertTrue(s.evalAccuracy().isPresent());
    assertTrue(s.dataset().contains("6 train / 2 held-out clips"), s.dataset());
  }
}
