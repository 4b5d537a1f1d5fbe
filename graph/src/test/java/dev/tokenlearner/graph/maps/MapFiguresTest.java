package dev.tokenlearner.graph.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MapFiguresTest {

  private static HostArray random(long seed, long... shape) {
    float[] d = new float[(int) HostArray.numElements(shape)];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) r.nextDouble(-1, 1);
    }
    return new HostArray(shape, d);
  }

  /**
   * Panels in the decoded picture: runs of non-background pixels wider than half a panel along a
   * row through the middle of the panels.
   */
  static int countPanels(BufferedImage img) {
    int y = MapPanels.HEADER + (img.getHeight() - MapPanels.HEADER - MapPanels.GAP) / 2;
    int panels = 0;
    int run = 0;
    for (int x = 0; x <= img.getWidth(); x++) {
      boolean white = x == img.getWidth() || nearWhite(img.getRGB(x, y));
      if (white) {
        if (run >= MapPanels.MIN_PANEL_SIDE / 2) {
          panels++;
        }
        run = 0;
      } else {
        run++;
      }
    }
    return panels;
  }

  // GIF's 256-colour palette may shift the white background slightly.
  private static boolean nearWhite(int rgb) {
    return ((rgb >> 16) & 0xff) >= 240 && ((rgb >> 8) & 0xff) >= 240 && (rgb & 0xff) >= 240;
  }

  /** Frames of a decoded GIF. */
  static int countGifFrames(Path gif) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
      ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
      try {
        reader.setInput(in);
        return reader.getNumImages(true);
      } finally {
        reader.dispose();
      }
    }
  }

  @Test
  void image_fiveTokens_writesPngWithInputAndFiveOverlayPanels(@TempDir Path tmp)
      throws IOException {
    HostArray inputs = random(1, 2, 28, 28, 1);
    HostArray maps = random(2, 2, 5, 7, 7);
    Path png = tmp.resolve("out/maps.png");

    MapFigures.writePng(MapFigures.image(inputs, maps, 1, Normalization.ZERO_CENTERED, "x"), png);

    BufferedImage decoded = ImageIO.read(png.toFile());
    assertEquals(6, countPanels(decoded));
  }

  @Test
  void clip_sixFramesTwoSteps_writesLoopingGifWithSixFrames(@TempDir Path tmp) throws IOException {
    HostArray inputs = random(3, 1, 6, 16, 16, 3);
    HostArray maps = random(4, 1, 2, 4, 4, 4);
    Path gif = tmp.resolve("clip.gif");

    List<BufferedImage> frames =
        MapFigures.clip(inputs, maps, 0, Normalization.ZERO_CENTERED, "clip");
    MapFigures.writeGif(frames, gif);

    assertEquals(6, countGifFrames(gif));
    assertEquals(5, countPanels(ImageIO.read(gif.toFile())));
    // frames 0-2 show step 0's maps, frames 3-5 step 1's: the token panels differ between them
    assertNotEquals(frames.get(0).getRGB(300, 100), frames.get(3).getRGB(300, 100));
  }

  @Test
  void overlay_oneHotCell_hottestWhereTheCellIs() {
    BufferedImage grey = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
    float[] map = new float[2 * 4];
    map[1 * 4 + 3] = 1f; // row 1, column 3 of a 2x4 grid
    BufferedImage out = HeatOverlay.draw(grey, map, 0, 2, 4);
    // the centre of cell (1, 3) is pixel (35, 15); the opposite corner stays cold
    int hot = out.getRGB(35, 15) & 0xffffff;
    int cold = out.getRGB(2, 2) & 0xffffff;
    assertTrue(((hot >> 16) & 0xff) > 100, Integer.toHexString(hot));
    assertTrue(((cold >> 16) & 0xff) < 5, Integer.toHexString(cold));
  }

  @Test
  void image_mapsOfOtherBatch_throwsNamingShapes() {
    var e =
        assertThrows(
            InvalidInputException.class,
            () ->
                MapFigures.image(
                    random(1, 2, 8, 8, 3),
                    random(1, 3, 4, 2, 2),
                    0,
                    Normalization.ZERO_CENTERED,
                    "t"));
    assertTrue(e.getMessage().contains("[3, 4, 2, 2]"), e.getMessage());
  }
}
