package dev.tokenlearner.train.data;

import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.InvalidInputException;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The embedded default dataset: coloured shapes on coloured backgrounds, generated in code.
 *
 * <p>Each example is a pure function of (split, index): a shape of one of up to ten classes ({@link
 * #CLASS_NAMES}) at a random position and size, in a random light colour on a random dark
 * background, antialiased, with Gaussian pixel noise. The class is {@code index % numClasses}, so
 * both splits are balanced. Pixel intensities are normalised like camera images ({@link
 * Normalization}; {@code [-1, 1]} by default). Nothing is held in memory; the training split can be
 * made as large as wanted.
 */
public final class ShapesDataset implements ImageDataset {

  /** Class names, in label order. */
  public static final List<String> CLASS_NAMES =
      List.of(
          "circle",
          "square",
          "triangle",
          "cross",
          "plus",
          "horizontal_stripes",
          "vertical_stripes",
          "ring",
          "diamond",
          "checkerboard");

  /** Name of this dataset in {@code dataset_name}. */
  public static final String NAME = "embedded_shapes";

  /** Training examples when the config names none. */
  public static final long NUM_TRAIN_DEFAULT = 50_000;

  /** Held-out examples when the config names none. */
  public static final long NUM_EVAL_DEFAULT = 2_000;

  /** Standard deviation of the pixel noise, in [0, 1] intensity units. */
  public static final double NOISE_STDDEV = 0.04;

  private static final long TRAIN_STREAM = 0x7A3C_11E5_0F00_0001L;
  private static final long EVAL_STREAM = 0x7A3C_11E5_0F00_0002L;
  private static final int SUPERSAMPLE = 2;

  private final int height;
  private final int width;
  private final int numClasses;
  private final long numTrain;
  private final long numEval;
  private final Normalization normalization;

  /**
   * @param height image height in pixels (at least 8)
   * @param width image width in pixels (at least 8)
   * @param channels must be 3 (RGB)
   * @param numClasses 2..10
   * @param numTrain training examples
   * @param numEval held-out examples
   * @param normalization how {@code 0..255} intensities become inputs
   * @throws IllegalArgumentException if a size is out of range
   */
  public ShapesDataset(
      int height,
      int width,
      int channels,
      int numClasses,
      long numTrain,
      long numEval,
      Normalization normalization) {
    if (height < 8 || width < 8) {
      throw new InvalidInputException(
          "embedded shapes need images of at least 8x8, got " + height + "x" + width);
    }
    if (channels != 3) {
      throw new InvalidInputException("embedded shapes are RGB (3 channels), got " + channels);
    }
    if (numClasses < 2 || numClasses > CLASS_NAMES.size()) {
      throw new InvalidInputException(
          "embedded shapes have 2.."
              + CLASS_NAMES.size()
              + " classes, config asks for num_classes="
              + numClasses);
    }
    if (numTrain <= 0 || numEval <= 0) {
      throw new InvalidInputException("split sizes must be positive");
    }
    this.height = height;
    this.width = width;
    this.numClasses = numClasses;
    this.numTrain = numTrain;
    this.numEval = numEval;
    this.normalization = normalization;
  }

  @Override
  public String describe() {
    return NAME
        + "("
        + height
        + "x"
        + width
        + ", "
        + numClasses
        + " classes, "
        + numTrain
        + " train / "
        + numEval
        + " held-out)";
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public int[] exampleShape() {
    return new int[] {height, width, 3};
  }

  @Override
  public long numTrain() {
    return numTrain;
  }

  @Override
  public long numEval() {
    return numEval;
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset) {
    checkIndex(index, numTrain, "training");
    return draw(TRAIN_STREAM, index, dst, offset);
  }

  @Override
  public int eval(long index, float[] dst, int offset) {
    checkIndex(index, numEval, "held-out");
    return draw(EVAL_STREAM, index, dst, offset);
  }

  private static void checkIndex(long index, long size, String split) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException(split + " index " + index + " outside [0, " + size + ")");
    }
  }

  /** Draws example {@code index} of a stream; returns its label. */
  private int draw(long stream, long index, float[] dst, int offset) {
    SplittableRandom r = new SplittableRandom(TrainOrder.mix(stream, index));
    int label = (int) (index % numClasses);
    // A dark background and a light shape, both of random hue: the shape's outline is always an
    // edge of the same sign, so the class is in the geometry, not in the colours.
    double[] bg = new double[3];
    double[] fg = new double[3];
    do {
      for (int c = 0; c < 3; c++) {
        bg[c] = 0.45 * r.nextDouble();
        fg[c] = 0.55 + 0.45 * r.nextDouble();
      }
    } while (distance(fg, bg) < 0.6);
    int side = Math.min(height, width);
    double half = side * (0.25 + 0.2 * r.nextDouble());
    double cx = half + r.nextDouble() * (width - 2 * half);
    double cy = half + r.nextDouble() * (height - 2 * half);
    double step = 1.0 / SUPERSAMPLE;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int hits = 0;
        for (int sy = 0; sy < SUPERSAMPLE; sy++) {
          for (int sx = 0; sx < SUPERSAMPLE; sx++) {
            double dx = x + (sx + 0.5) * step - cx;
            double dy = y + (sy + 0.5) * step - cy;
            if (inside(label, dx, dy, half)) {
              hits++;
            }
          }
        }
        double a = hits / (double) (SUPERSAMPLE * SUPERSAMPLE);
        int at = offset + (y * width + x) * 3;
        for (int c = 0; c < 3; c++) {
          double v = bg[c] * (1 - a) + fg[c] * a + NOISE_STDDEV * gaussian(r);
          v = Math.max(0, Math.min(1, v));
          dst[at + c] = normalization.apply(255 * v, c);
        }
      }
    }
    return label;
  }

  /** Whether the point (dx, dy) from the centre lies in a shape of class {@code label}. */
  static boolean inside(int label, double dx, double dy, double s) {
    double ax = Math.abs(dx);
    double ay = Math.abs(dy);
    boolean box = ax <= s && ay <= s;
    double stroke = Math.max(1.0, 0.22 * s);
    return switch (label) {
      case 0 -> dx * dx + dy * dy <= s * s;
      case 1 -> ax <= 0.8 * s && ay <= 0.8 * s;
      case 2 -> dy >= -s && dy <= 0.8 * s && ax <= s * (dy + s) / (1.8 * s);
      case 3 -> box && (Math.abs(dx - dy) <= stroke * 1.2 || Math.abs(dx + dy) <= stroke * 1.2);
      case 4 -> (ax <= stroke && ay <= s) || (ay <= stroke && ax <= s);
      case 5 -> box && Math.floorMod((int) Math.floor((dy + s) / period(s)), 2) == 0;
      case 6 -> box && Math.floorMod((int) Math.floor((dx + s) / period(s)), 2) == 0;
      case 7 -> {
        double r2 = dx * dx + dy * dy;
        yield r2 <= s * s && r2 >= 0.36 * s * s;
      }
      case 8 -> ax + ay <= s;
      case 9 -> {
        double p = Math.max(2.0, s / 2);
        yield box
            && Math.floorMod((int) Math.floor((dx + s) / p) + (int) Math.floor((dy + s) / p), 2)
                == 0;
      }
      default -> throw new IllegalArgumentException("no shape class " + label);
    };
  }

  private static double period(double s) {
    return Math.max(2.0, s / 2.5);
  }

  private static double distance(double[] a, double[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return Math.sqrt(d);
  }

  private static double gaussian(SplittableRandom r) {
    double u1;
    do {
      u1 = r.nextDouble();
    } while (u1 <= Double.MIN_NORMAL);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
  }
}
