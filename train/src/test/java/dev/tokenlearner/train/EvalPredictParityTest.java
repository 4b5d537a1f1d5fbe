package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.ImageInputs;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's evaluation and {@code predict} on image files feed the model the same values. */
class EvalPredictParityTest {

  @Test
  void evalAndPredict_sameJpeg_identicalModelInputs(@TempDir Path dir) throws IOException {
    ExperimentConfig cfg =
        TestConfigs.tiny(
            "preprocessing: {normalization: imagenet}", "dataset_configs: {num_classes: 2}");
    SplittableRandom r = new SplittableRandom(3);
    for (String c : new String[] {"a", "b"}) {
      Path d = Files.createDirectories(dir.resolve(c));
      for (int i = 0; i < 10; i++) {
        // Landscape and portrait photos-like noise of odd sizes, so resize and crop both act.
        int w = 20 + r.nextInt(30);
        int h = 20 + r.nextInt(30);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            img.setRGB(x, y, r.nextInt(1 << 24));
          }
        }
        ImageIO.write(img, "jpg", d.resolve(String.format("%02d.jpg", i)).toFile());
      }
    }
    // What predict reads from an exported model: the metadata written from this config.
    ModelMetadata meta =
        ModelMetadata.parse(
            new ModelMetadata(
                    cfg.modelName().scenicName(),
                    cfg.model(),
                    cfg.input(),
                    Normalization.of(cfg),
                    List.of("serving_default"),
                    Map.of(),
                    Optional.empty())
                .toYaml(),
            "test");
    try (ImageDataset ds = Datasets.open(cfg, Optional.of(dir))) {
      assertEquals(2, ds.numEval()); // 09.jpg of each class
      for (int k = 0; k < 2; k++) {
        float[] evalInput = new float[ds.exampleSize()];
        int label = ds.eval(k, evalInput, 0);
        Path file = dir.resolve(label == 0 ? "a" : "b").resolve("09.jpg");
        HostArray predictInput = ImageInputs.load(List.of(file), meta.preprocessing());
        assertArrayEquals(new long[] {1, 16, 16, 3}, predictInput.shape());
        assertArrayEquals(evalInput, predictInput.data(), 0f);
      }
    }
  }
}
