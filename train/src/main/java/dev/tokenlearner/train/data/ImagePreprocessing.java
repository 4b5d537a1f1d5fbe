package dev.tokenlearner.train.data;

import dev.tokenlearner.export.ImageDecoder;
import dev.tokenlearner.export.ImageFormatException;
import dev.tokenlearner.graph.config.Normalization;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.SplittableRandom;

/**
 * Turns a decoded image into model input: resize the shorter side to {@code size / CROP_FRACTION},
 * crop {@code height x width} (random position and horizontal flip in training, centre in
 * evaluation) with bilinear sampling, and normalise the {@code 0..255} values the way the
 * experiment says ({@link Normalization#of}), which is also what the exported SavedModel records.
 */
public final class ImagePreprocessing {

  /** Fraction of the resized image the crop covers (ImageNet's usual 224/256). */
  public static final double CROP_FRACTION = 0.875;

  private ImagePreprocessing() {}

  /**
   * Decodes JPEG, PNG, BMP or GIF, refusing oversized or corrupt input ({@link ImageDecoder}).
   *
   * @param bytes the encoded image
   * @param what a name for messages (file, record)
   * @return the image
   * @throws ImageFormatException if it is not a decodable image or is too large
   */
  public static BufferedImage decode(byte[] bytes, String what) throws ImageFormatException {
    return ImageDecoder.decode(bytes, what);
  }

  /**
   * Decodes an encoded image and writes it as one preprocessed example ({@link #decode} then {@link
   * #apply}).
   *
   * @param bytes the encoded image
   * @param what a name for messages (file, record)
   * @param height output height
   * @param width output width
   * @param random augmentation randomness, or null for evaluation (centre crop, no flip)
   * @param normalization how {@code 0..255} values become inputs
   * @param dst destination, HWC RGB float32
   * @param offset first float in {@code dst}
   * @throws IOException if ImageIO cannot decode it
   */
  public static void decodeAndApply(
      byte[] bytes,
      String what,
      int height,
      int width,
      SplittableRandom random,
      Normalization normalization,
      float[] dst,
      int offset)
      throws IOException {
    apply(decode(bytes, what), height, width, random, normalization, dst, offset);
  }

  /**
   * Writes one preprocessed example.
   *
   * @param img the decoded image
   * @param height output height
   * @param width output width
   * @param random augmentation randomness, or null for evaluation (centre crop, no flip)
   * @param normalization how {@code 0..255} values become inputs
   * @param dst destination, HWC RGB float32
   * @param offset first float in {@code dst}
   */
  public static void apply(
      BufferedImage img,
      int height,
      int width,
      SplittableRandom random,
      Normalization normalization,
      float[] dst,
      int offset) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
    // Resize so the crop covers CROP_FRACTION of the shorter side; scale = source px per output px.
    double scale = Math.min(w / (width / CROP_FRACTION), h / (height / CROP_FRACTION));
    double resizedW = w / scale;
    double resizedH = h / scale;
    double spareX = Math.max(0, resizedW - width);
    double spareY = Math.max(0, resizedH - height);
    double x0 = random == null ? spareX / 2 : Math.floor(random.nextDouble() * (spareX + 1));
    double y0 = random == null ? spareY / 2 : Math.floor(random.nextDouble() * (spareY + 1));
    boolean flip = random != null && random.nextBoolean();
    for (int i = 0; i < height; i++) {
      double sy = clamp((y0 + i + 0.5) * scale - 0.5, h - 1);
      int ya = (int) Math.floor(sy);
      int yb = Math.min(ya + 1, h - 1);
      double fy = sy - ya;
      for (int j = 0; j < width; j++) {
        int jj = flip ? width - 1 - j : j;
        double sx = clamp((x0 + jj + 0.5) * scale - 0.5, w - 1);
        int xa = (int) Math.floor(sx);
        int xb = Math.min(xa + 1, w - 1);
        double fx = sx - xa;
        int at = offset + (i * width + j) * 3;
        for (int c = 0; c < 3; c++) {
          int shift = 16 - 8 * c;
          double top = lerp(channel(rgb[ya * w + xa], shift), channel(rgb[ya * w + xb], shift), fx);
          double bottom =
              lerp(channel(rgb[yb * w + xa], shift), channel(rgb[yb * w + xb], shift), fx);
          dst[at + c] = normalization.apply(lerp(top, bottom, fy), c);
        }
      }
    }
  }

  private static double clamp(double v, int max) {
    return Math.max(0, Math.min(max, v));
  }

  private static int channel(int argb, int shift) {
    return (argb >>> shift) & 0xff;
  }

  private static double lerp(double a, double b, double t) {
    return a + (b - a) * t;
  }
}
