package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputBenchTest {

  @Test
  void run_smallJpegFolder_reportsJavaRowsPerThreadCount(@TempDir Path dir) throws Exception {
    SplittableRandom r = new SplittableRandom(1);
    for (String c : new String[] {"a", "b"}) {
      Path d = Files.createDirectories(dir.resolve(c));
      for (int i = 0; i < 10; i++) {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
          for (int x = 0; x < 40; x++) {
            img.setRGB(x, y, r.nextInt(1 << 24));
          }
        }
        ImageIO.write(img, "jpg", d.resolve(i + ".jpg").toFile());
      }
    }
    InputBench.Result res = InputBench.run(dir, 32, 4, 1, 3, List.of(1, 2), false, false);
    assertEquals(2, res.javaImagesPerSecond().size());
    assertEquals(2, res.javaFloatImagesPerSecond().size());
    res.javaImagesPerSecond().values().forEach(v -> assertTrue(v > 0, "images/s " + v));
    res.javaFloatImagesPerSecond().values().forEach(v -> assertTrue(v > 0, "images/s " + v));
    String md = res.toMarkdown();
    assertTrue(md.contains("| Java (TF ops), uint8 batches | 2 |"), md);
    assertTrue(md.contains("| Java (TF ops), float32 batches | 1 |"), md);
    assertTrue(md.contains("Python tf.data not measured: skipped"), md);
  }
}
