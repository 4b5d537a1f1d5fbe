package dev.tokenlearner.graph.maps;

import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A model's token maps beside the inputs they came from: one {@link MapPanels} picture for an
 * image, one per frame for a clip, and the PNG/GIF files they are written to (to a temporary file,
 * then renamed into place).
 */
public final class MapFigures {

  /** How long each frame of a clip's animation shows. */
  public static final int FRAME_MILLIS = 250;

  private MapFigures() {}

  /**
   * The picture of one image.
   *
   * @param inputs {@code [n, H, W, C]} normalised
   * @param maps {@code [n, K, h, w]}
   * @param example which of the {@code n}
   * @param normalization how the inputs were normalised
   * @param title the title line
   * @return input and {@code K} overlays
   * @throws InvalidInputException if the shapes do not fit together
   */
  public static BufferedImage image(
      HostArray inputs, HostArray maps, int example, Normalization normalization, String title) {
    long[] in = inputs.shape();
    long[] m = maps.shape();
    if (in.length != 4 || m.length != 4 || in[0] != m[0]) {
      throw new InvalidInputException(
          "token maps of images need inputs [n, H, W, C] and maps [n, K, h, w], got "
              + Arrays.toString(in)
              + " and "
              + Arrays.toString(m));
    }
    int h = (int) in[1];
    int w = (int) in[2];
    int c = (int) in[3];
    int k = (int) m[1];
    BufferedImage rgb = InputImages.rgb(inputs.data(), example * h * w * c, h, w, c, normalization);
    return MapPanels.draw(
        rgb, maps.data(), example * (int) (m[1] * m[2] * m[3]), k, (int) m[2], (int) m[3], title);
  }

  /**
   * The animation frames of one clip: frame {@code t} shows the maps of the time step it falls in.
   *
   * @param inputs {@code [n, T, H, W, C]} normalised
   * @param maps {@code [n, T', K, h, w]}
   * @param example which of the {@code n}
   * @param normalization how the inputs were normalised
   * @param title the title line
   * @return {@code T} pictures
   * @throws InvalidInputException if the shapes do not fit together
   */
  public static List<BufferedImage> clip(
      HostArray inputs, HostArray maps, int example, Normalization normalization, String title) {
    long[] in = inputs.shape();
    long[] m = maps.shape();
    if (in.length != 5 || m.length != 5 || in[0] != m[0] || m[1] > in[1]) {
      throw new InvalidInputException(
          "token maps of clips need inputs [n, T, H, W, C] and maps [n, T', K, h, w], got "
              + Arrays.toString(in)
              + " and "
              + Arrays.toString(m));
    }
    int frames = (int) in[1];
    int h = (int) in[2];
    int w = (int) in[3];
    int c = (int) in[4];
    int steps = (int) m[1];
    int k = (int) m[2];
    int perStep = (int) (m[2] * m[3] * m[4]);
    List<BufferedImage> out = new ArrayList<>(frames);
    for (int t = 0; t < frames; t++) {
      int step = t * steps / frames;
      BufferedImage rgb =
          InputImages.rgb(
              inputs.data(), ((example * frames) + t) * h * w * c, h, w, c, normalization);
      out.add(
          MapPanels.draw(
              rgb,
              maps.data(),
              (example * steps + step) * perStep,
              k,
              (int) m[3],
              (int) m[4],
              title + "  (frame " + t + ", step " + step + ")"));
    }
    return out;
  }

  /**
   * One picture of a clip: a row of panels per time step, each on the first frame of its step.
   *
   * @param inputs {@code [n, T, H, W, C]} normalised
   * @param maps {@code [n, T', K, h, w]}
   * @param example which of the {@code n}
   * @param normalization how the inputs were normalised
   * @param title the title line
   * @return {@code T'} rows stacked top to bottom
   * @throws InvalidInputException if the shapes do not fit together
   */
  public static BufferedImage clipSteps(
      HostArray inputs, HostArray maps, int example, Normalization normalization, String title) {
    List<BufferedImage> frames = clip(inputs, maps, example, normalization, title);
    int steps = (int) maps.shape()[1];
    List<BufferedImage> rows = new ArrayList<>(steps);
    for (int s = 0; s < steps; s++) {
      // the first frame t with t * steps / frames == s
      rows.add(frames.get((s * frames.size() + steps - 1) / steps));
    }
    BufferedImage out =
        new BufferedImage(
            rows.get(0).getWidth(), rows.get(0).getHeight() * steps, BufferedImage.TYPE_INT_RGB);
    var g = out.createGraphics();
    try {
      for (int s = 0; s < steps; s++) {
        g.drawImage(rows.get(s), 0, s * rows.get(0).getHeight(), null);
      }
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * Writes a picture as PNG.
   *
   * @param image the picture
   * @param file the PNG file, replaced atomically
   * @throws IOException if writing fails
   */
  public static void writePng(BufferedImage image, Path file) throws IOException {
    write(file, out -> ImageIO.write(image, "png", out));
  }

  /**
   * Writes frames as a looping GIF.
   *
   * @param frames the pictures, all the same size
   * @param file the GIF file, replaced atomically
   * @throws IOException if writing fails
   */
  public static void writeGif(List<BufferedImage> frames, Path file) throws IOException {
    write(file, out -> AnimatedGif.write(frames, FRAME_MILLIS, out));
  }

  private interface Body {
    void to(OutputStream out) throws IOException;
  }

  private static void write(Path file, Body body) throws IOException {
    Path target = file.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        body.to(out);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
