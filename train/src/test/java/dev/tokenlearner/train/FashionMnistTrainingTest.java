package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.Predict;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.train.data.FashionMnistDatasetTest;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled fashion_mnist config trains on 1-channel data, exports, and predicts a grey PNG. */
class FashionMnistTrainingTest {

  @Test
  void bundledConfig_smallIdxFiles_trainsExportsAndPredictsGreyImage(@TempDir Path dir)
      throws Exception {
    Path data = FashionMnistDatasetTest.writeIdx(dir.resolve("fmnist"), 64, 20);
    ExperimentConfig bundled = ConfigLoader.loadNamed("fashion_mnist");
    assertArrayEquals(new long[] {-1, 28, 28, 1}, bundled.input().shape(-1));
    // The bundled model and keys, trained for a few small steps.
    Map<String, Object> doc = new java.util.LinkedHashMap<>(bundled.raw());
    doc.put("num_training_steps", 4);
    doc.put("batch_size", 16);
    doc.put("eval_batch_size", 10);
    doc.put("log_eval_steps", 4);
    doc.put("checkpoint_steps", 4);
    Map<String, Object> lr =
        new java.util.LinkedHashMap<>((Map<String, Object>) doc.get("lr_configs"));
    lr.put("warmup_steps", 1);
    lr.put("steps_per_cycle", 4);
    lr.put("total_steps", 4);
    doc.put("lr_configs", lr);
    ExperimentConfig cfg = ConfigLoader.fromMap(doc, "fashion_mnist-small");
    TrainSummary s =
        Trainer.run(
            cfg,
            dir.resolve("work"),
            false,
            Optional.of(data),
            TrainOptions.quiet().withFinalModel(true));
    assertEquals(4, s.finalStep());
    assertTrue(s.evalAccuracy().isPresent());
    Path model = TrainerTest.export(cfg, dir.resolve("work"), s.finalModel().orElseThrow());
    assertEquals(1, ModelMetadata.read(model).input().channels());

    BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        grey.getRaster().setSample(x, y, 0, (x * 9) & 0xff);
      }
    }
    Path png = dir.resolve("shirt.png");
    ImageIO.write(grey, "png", png.toFile());
    HostArray logits = Predict.run(model, png, dir.resolve("out.npy"), null);
    assertArrayEquals(new long[] {1, 10}, logits.shape());
    for (float v : logits.data()) {
      assertTrue(Float.isFinite(v), "logit " + v);
    }
  }
}
