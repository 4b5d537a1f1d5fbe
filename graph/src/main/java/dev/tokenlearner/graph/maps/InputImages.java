package dev.tokenlearner.graph.maps;

import dev.tokenlearner.config.Normalization;
import java.awt.image.BufferedImage;

/** Model inputs (normalised float pixels) turned back into images to show. */
public final class InputImages {

  private InputImages() {}

  /**
   * One {@code [h, w, c]} image of a normalised batch as RGB (grey for one channel).
   *
   * @param data the batch, channels last
   * @param offset index of the image's first value
   * @param h height
   * @param w width
   * @param c channels (1 or 3; more: the first 3 are shown)
   * @param normalization how the pixels were normalised, undone here
   * @return the image
   */
  public static BufferedImage rgb(
      float[] data, int offset, int h, int w, int c, Normalization normalization) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int at = offset + (y * w + x) * c;
        int r = pixel(data[at], 0, normalization);
        int g = c >= 3 ? pixel(data[at + 1], 1, normalization) : r;
        int b = c >= 3 ? pixel(data[at + 2], 2, normalization) : r;
        img.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    return img;
  }

  private static int pixel(float v, int channel, Normalization n) {
    double p = v * n.std(channel) + n.mean(channel);
    return (int) Math.max(0, Math.min(255, Math.round(p)));
  }

  /**
   * Scales an image up by a whole factor (nearest neighbour), so small inputs such as 28x28 are
   * visible; large ones are left as they are.
   *
   * @param img the image
   * @param minSide the side the longer side should at least reach
   * @return the scaled image, or {@code img}
   */
  public static BufferedImage enlarge(BufferedImage img, int minSide) {
    int longer = Math.max(img.getWidth(), img.getHeight());
    int f = Math.max(1, (minSide + longer - 1) / longer);
    if (f == 1) {
      return img;
    }
    BufferedImage out =
        new BufferedImage(img.getWidth() * f, img.getHeight() * f, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < out.getHeight(); y++) {
      for (int x = 0; x < out.getWidth(); x++) {
        out.setRGB(x, y, img.getRGB(x / f, y / f));
      }
    }
    return out;
  }
}
