package dev.tokenlearner.export.serving;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/** The tiny_v11 fixture exported with labels, and random PNGs to feed it. */
final class ServingFixture {

  static final List<String> LABELS = List.of("ant", "bee", "cat", "dog", "eel");

  private ServingFixture() {}

  /** Exports the fixture model (5 classes, 16x16 inputs) to {@code dir}. */
  static ExperimentConfig export(Path dir) throws IOException {
    ExperimentConfig cfg = ConfigLoader.load(Fixtures.set("tiny_v11").resolve("config.json"));
    SavedModelExporter.of(ExportSpec.of(cfg, Optional.empty()).withLabels(LABELS))
        .export(dir, Checkpoints.read(Fixtures.checkpoint("tiny_v11")).params());
    return cfg;
  }

  /** A PNG of random RGB pixels. */
  static byte[] png(int w, int h, long seed) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    SplittableRandom r = new SplittableRandom(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }
}
