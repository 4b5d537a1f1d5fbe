package dev.tokenlearner.cli;

import dev.tokenlearner.graph.maps.MapPanels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Decodes the pictures the commands write and counts what they show, for tests. */
final class Pictures {

  private Pictures() {}

  /** Decodes a PNG or GIF (its first frame); fails if the file is not a picture. */
  static BufferedImage read(Path file) throws IOException {
    BufferedImage img = ImageIO.read(file.toFile());
    if (img == null) {
      throw new IOException(file + " does not decode as an image");
    }
    return img;
  }

  /**
   * Panels of a token-map picture: runs of non-background pixels at least half a panel wide along a
   * row through the middle of the panels.
   */
  static int panels(BufferedImage img) {
    int y = MapPanels.HEADER + (img.getHeight() - MapPanels.HEADER - MapPanels.GAP) / 2;
    int panels = 0;
    int run = 0;
    for (int x = 0; x <= img.getWidth(); x++) {
      if (x == img.getWidth() || nearWhite(img.getRGB(x, y))) {
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

  /** Frames of a GIF. */
  static int gifFrames(Path gif) throws IOException {
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
}
