package dev.tokenlearner.train.summary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurvePlotTest {

  @Test
  void niceTicks_roundStepsCoveringTheRange() {
    assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2, 2.5}, CurvePlot.niceTicks(0, 2.31, 5), 0);
    assertArrayEquals(new double[] {0, 200, 400, 600}, CurvePlot.niceTicks(0, 600, 5), 0);
    assertArrayEquals(
        new double[] {0, 0.0002, 0.0004, 0.0006, 0.0008, 0.001},
        CurvePlot.niceTicks(0, 0.001, 5),
        0);
    assertArrayEquals(
        new double[] {0.2, 0.25, 0.3, 0.35, 0.4}, CurvePlot.niceTicks(0.21, 0.4, 5), 0);
  }

  @Test
  void tickLabel_asManyDecimalsAsTheStepNeeds() {
    assertEquals("1.5", CurvePlot.tickLabel(1.5, 0.5));
    assertEquals("0.0006", CurvePlot.tickLabel(0.0006, 0.0002));
    assertEquals("0.25", CurvePlot.tickLabel(0.25, 0.05));
    assertEquals("0.75", CurvePlot.tickLabel(0.75, 0.25));
    assertEquals("12,000", CurvePlot.tickLabel(12000, 2000));
    assertEquals("2.0e-06", CurvePlot.tickLabel(2e-6, 2e-6));
    assertEquals("0", CurvePlot.tickLabel(0, 2e-6));
  }

  @Test
  void write_threePanelsWithLegendInTheHeader(@TempDir Path tmp) throws Exception {
    List<MetricsLog.Row> rows = new ArrayList<>();
    for (int step = 10; step <= 100; step += 10) {
      rows.add(new MetricsLog.Row(step, "train", "loss", 2.3 - step / 100.0));
      rows.add(new MetricsLog.Row(step, "train", "accuracy", step / 120.0));
      rows.add(new MetricsLog.Row(step, "train", "learning_rate", 1e-3 * step / 100.0));
      rows.add(new MetricsLog.Row(step, "eval", "accuracy", step / 150.0));
    }
    Path png = tmp.resolve("curves.png");
    CurvePlot.write(rows, "tiny-shapes", png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(CurvePlot.WIDTH, img.getWidth());
    assertEquals(CurvePlot.HEIGHT, img.getHeight());
    // The legend's colours appear in the header, above every plot area.
    assertTrue(countColour(img, CurvePlot.TRAIN, 0, CurvePlot.PLOT_TOP - 20) > 10);
    assertTrue(countColour(img, CurvePlot.EVAL, 0, CurvePlot.PLOT_TOP - 20) > 10);
    // The learning-rate panel (right third) holds a training curve.
    int lrTrain = 0;
    for (int y = CurvePlot.PLOT_TOP; y < img.getHeight(); y++) {
      for (int x = 2 * CurvePlot.WIDTH / 3; x < img.getWidth(); x++) {
        lrTrain += img.getRGB(x, y) == CurvePlot.TRAIN.getRGB() ? 1 : 0;
      }
    }
    assertTrue(lrTrain > 50, "learning-rate curve pixels: " + lrTrain);
  }

  private static int countColour(BufferedImage img, java.awt.Color c, int y0, int y1) {
    int n = 0;
    for (int y = y0; y < y1; y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        n += img.getRGB(x, y) == c.getRGB() ? 1 : 0;
      }
    }
    return n;
  }
}
