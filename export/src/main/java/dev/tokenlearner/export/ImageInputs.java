package dev.tokenlearner.export;

import dev.tokenlearner.ops.InvalidInputException;
import dev.tokenlearner.graph.config.Normalization;
import dev.tokenlearner.ops.HostArray;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Turns image files into a model input batch {@code [n, H, W, 3]}: decode (any format {@code
 * javax.imageio} reads: PNG, JPEG, BMP, GIF), resize the whole image bilinearly to {@code H x W}
 * (half-pixel centres, as TF's {@code resize_bilinear(half_pixel_centers=True)}, no cropping or
 * antialiasing), then normalise the {@code 0..255} RGB values with a {@link Normalization}.
 */
public final class ImageInputs {

  /** File extensions picked up when a directory is given. */
  public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

  private ImageInputs() {}

  /**
   * The image files of a directory, sorted by name.
   *
   * @param dir a directory
   * @return its files with an image extension
   * @throws IOException if the directory cannot be listed
   */
  public static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).filter(ImageInputs::isImage).sorted().toList();
    }
  }

  /**
   * Whether a file name has an image extension.
   *
   * @param file a path
   * @return true for {@code .png}, {@code .jpg}, ...
   */
  public static boolean isImage(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = name.lastIndexOf('.');
    return dot >= 0 && EXTENSIONS.contains(name.substring(dot + 1));
  }

  /**
   * Decodes, resizes and normalises images into one batch.
   *
   * @param files the images, in batch order
   * @param height the model's input height
   * @param width the model's input width
   * @param normalization how to map {@code 0..255} to model inputs
   * @return {@code [files.size(), height, width, 3]}
   * @throws IOException if a file cannot be read or decoded
   * @throws IllegalArgumentException if no files are given or a size is not positive
   */
  public static HostArray load(
      List<Path> files, int height, int width, Normalization normalization) throws IOException {
    if (files.isEmpty()) {
      throw new InvalidInputException("no image files given");
    }
    if (height <= 0 || width <= 0) {
      throw new InvalidInputException("size must be positive, got " + height + "x" + width);
    }
    int per = height * width * 3;
    float[] out = new float[Math.multiplyExact(per, files.size())];
    for (int i = 0; i < files.size(); i++) {
      double[] rgb = resizeBilinear(decode(files.get(i)), height, width);
      for (int k = 0; k < per; k++) {
        out[i * per + k] = normalization.apply(rgb[k], k % 3);
      }
    }
    return new HostArray(new long[] {files.size(), height, width, 3}, out);
  }

  /**
   * Reads an image as RGB values {@code 0..255}, row-major {@code [h, w, 3]}; grey images are
   * replicated to three channels and alpha is dropped.
   *
   * @param file an image file
   * @return the decoded image
   * @throws ImageFormatException if no decoder accepts it, it is corrupt or too large
   * @throws IOException if it cannot be read
   */
  static Rgb decode(Path file) throws IOException {
    BufferedImage img = ImageDecoder.decode(file);
    int h = img.getHeight();
    int w = img.getWidth();
    double[] data = new double[h * w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int argb = img.getRGB(x, y);
        int o = (y * w + x) * 3;
        data[o] = (argb >> 16) & 0xff;
        data[o + 1] = (argb >> 8) & 0xff;
        data[o + 2] = argb & 0xff;
      }
    }
    return new Rgb(h, w, data);
  }

  /** A decoded RGB image, row-major {@code [h, w, 3]}. */
  record Rgb(int height, int width, double[] data) {}

  /**
   * Bilinear resize with half-pixel centres: output pixel {@code o} samples input coordinate
   * {@code (o + 0.5) * in / out - 0.5}, clamped to the image.
   *
   * @param img the image
   * @param outH output rows
   * @param outW output columns
   * @return {@code [outH, outW, 3]}
   */
  static double[] resizeBilinear(Rgb img, int outH, int outW) {
    double[] out = new double[outH * outW * 3];
    for (int y = 0; y < outH; y++) {
      double sy = clamp((y + 0.5) * img.height() / outH - 0.5, img.height() - 1);
      int y0 = (int) Math.floor(sy);
      int y1 = Math.min(y0 + 1, img.height() - 1);
      double ty = sy - y0;
      for (int x = 0; x < outW; x++) {
        double sx = clamp((x + 0.5) * img.width() / outW - 0.5, img.width() - 1);
        int x0 = (int) Math.floor(sx);
        int x1 = Math.min(x0 + 1, img.width() - 1);
        double tx = sx - x0;
        for (int c = 0; c < 3; c++) {
          double a = img.data()[(y0 * img.width() + x0) * 3 + c];
          double b = img.data()[(y0 * img.width() + x1) * 3 + c];
          double d = img.data()[(y1 * img.width() + x0) * 3 + c];
          double e = img.data()[(y1 * img.width() + x1) * 3 + c];
          double top = a + (b - a) * tx;
          double bottom = d + (e - d) * tx;
          out[(y * outW + x) * 3 + c] = top + (bottom - top) * ty;
        }
      }
    }
    return out;
  }

  private static double clamp(double v, double max) {
    return Math.min(Math.max(v, 0.0), max);
  }
}
