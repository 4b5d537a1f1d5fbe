package dev.tokenlearner.train.data;

import dev.tokenlearner.config.Normalization;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Fashion-MNIST from its four IDX files ({@code train-images-idx3-ubyte.gz}, {@code
 * train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz}, {@code
 * t10k-labels-idx1-ubyte.gz}; gzipped or not), as Debian's {@code dataset-fashion-mnist} installs
 * them in {@code /usr/share/datasets/fashion-mnist}: 60,000 training and 10,000 test images of
 * 28×28×1, 10 classes. Pixels are normalised with the experiment's normalisation, by default {@code
 * unit} ({@code [0, 1]}, as Scenic's {@code fashion_mnist}); no augmentation. The test set is the
 * held-out split. All images are held in memory (55 MB as bytes); training batches are fed as those
 * bytes ({@link #trainPixels}) and normalised by the training graph.
 */
public final class FashionMnistDataset implements ImageDataset {

  /** Name of this dataset in {@code dataset_name}. */
  public static final String NAME = "fashion_mnist";

  /** Image side. */
  public static final int SIDE = 28;

  /** Number of classes. */
  public static final int NUM_CLASSES = 10;

  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;

  private final Path dir;
  private final byte[] trainImages;
  private final byte[] trainLabels;
  private final byte[] testImages;
  private final byte[] testLabels;
  private final float[] lookup = new float[256];
  private final boolean randomFlip;

  /**
   * Reads the four files.
   *
   * @param dir the folder holding them
   * @param normalization how {@code 0..255} pixels become inputs
   * @param randomFlip flip training images left-right with probability 1/2
   * @throws IOException naming the file if one is missing, truncated or not IDX
   */
  public FashionMnistDataset(Path dir, Normalization normalization, boolean randomFlip)
      throws IOException {
    this.dir = dir;
    this.randomFlip = randomFlip;
    this.trainImages = readImages(file(dir, "train-images-idx3-ubyte"));
    this.trainLabels = readLabels(file(dir, "train-labels-idx1-ubyte"));
    this.testImages = readImages(file(dir, "t10k-images-idx3-ubyte"));
    this.testLabels = readLabels(file(dir, "t10k-labels-idx1-ubyte"));
    check(trainImages, trainLabels, dir.resolve("train-*"));
    check(testImages, testLabels, dir.resolve("t10k-*"));
    for (int v = 0; v < 256; v++) {
      lookup[v] = normalization.apply(v, 0);
    }
  }

  /**
   * Whether a folder holds the training images file.
   *
   * @param dir a folder
   * @return true if {@code train-images-idx3-ubyte[.gz]} is there
   */
  public static boolean isFashionMnistFolder(Path dir) {
    return Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz"))
        || Files.isRegularFile(dir.resolve("train-images-idx3-ubyte"));
  }

  private static Path file(Path dir, String base) throws IOException {
    Path gz = dir.resolve(base + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    Path plain = dir.resolve(base);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    throw new IOException(
        gz
            + ": missing (fashion_mnist needs the four IDX files; on Debian: apt-get install"
            + " dataset-fashion-mnist, then pass /usr/share/datasets/fashion-mnist)");
  }

  private static InputStream open(Path f) throws IOException {
    InputStream in = Files.newInputStream(f);
    return f.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
  }

  /**
   * Reads an IDX image file ({@code N x 28 x 28} unsigned bytes, optionally gzipped).
   *
   * @throws DatasetFormatException naming the file if it is not such a file or holds fewer bytes
   *     than its header claims
   */
  static byte[] readImages(Path f) throws IOException {
    try (DataInputStream in = new DataInputStream(open(f))) {
      int magic = in.readInt();
      if (magic != IMAGES_MAGIC) {
        throw new DatasetFormatException(
            f, "not an IDX image file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      if (rows != SIDE || cols != SIDE || n <= 0 || n > Integer.MAX_VALUE / (SIDE * SIDE)) {
        throw new DatasetFormatException(
            f, "expected N x 28 x 28 images, found " + n + " x " + rows + " x " + cols);
      }
      return readClaimed(in, n * SIDE * SIDE, f);
    } catch (EOFException | ZipException e) {
      throw new DatasetFormatException(f, "truncated or corrupt", e);
    }
  }

  /**
   * Reads an IDX label file ({@code N} unsigned bytes in {@code [0, 10)}, optionally gzipped).
   *
   * @throws DatasetFormatException naming the file if it is not such a file, is short, or holds a
   *     label outside the classes
   */
  static byte[] readLabels(Path f) throws IOException {
    try (DataInputStream in = new DataInputStream(open(f))) {
      int magic = in.readInt();
      if (magic != LABELS_MAGIC) {
        throw new DatasetFormatException(
            f, "not an IDX label file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = in.readInt();
      if (n <= 0) {
        throw new DatasetFormatException(f, "expected a positive label count, found " + n);
      }
      byte[] out = readClaimed(in, n, f);
      for (int i = 0; i < out.length; i++) {
        if (out[i] < 0 || out[i] >= NUM_CLASSES) {
          throw new DatasetFormatException(
              f, "label " + out[i] + " of example " + i + " outside [0, " + NUM_CLASSES + ")");
        }
      }
      return out;
    } catch (EOFException | ZipException e) {
      throw new DatasetFormatException(f, "truncated or corrupt", e);
    }
  }

  /**
   * Reads the {@code claimed} bytes a header announced. {@code readNBytes} grows its buffer with
   * what actually arrives, so a header claiming gigabytes costs only the bytes present.
   */
  private static byte[] readClaimed(InputStream in, int claimed, Path f) throws IOException {
    byte[] out = in.readNBytes(claimed);
    if (out.length != claimed) {
      throw new DatasetFormatException(
          f, "truncated: the header claims " + claimed + " bytes of data, found " + out.length);
    }
    return out;
  }

  private static void check(byte[] images, byte[] labels, Path what) throws IOException {
    if (images.length / (SIDE * SIDE) != labels.length) {
      throw new DatasetFormatException(
          what, images.length / (SIDE * SIDE) + " images but " + labels.length + " labels");
    }
  }

  @Override
  public String describe() {
    return NAME + "(" + dir + ", " + numTrain() + " train / " + numEval() + " test)";
  }

  @Override
  public int numClasses() {
    return NUM_CLASSES;
  }

  @Override
  public int[] exampleShape() {
    return new int[] {SIDE, SIDE, 1};
  }

  @Override
  public long numTrain() {
    return trainLabels.length;
  }

  @Override
  public long numEval() {
    return testLabels.length;
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset) {
    int label = copy(trainImages, trainLabels, Math.toIntExact(index), dst, offset);
    if (flips(random)) {
      for (int y = 0; y < SIDE; y++) {
        int row = offset + y * SIDE;
        for (int x = 0; x < SIDE / 2; x++) {
          float t = dst[row + x];
          dst[row + x] = dst[row + SIDE - 1 - x];
          dst[row + SIDE - 1 - x] = t;
        }
      }
    }
    return label;
  }

  @Override
  public boolean hasPixels() {
    return true;
  }

  @Override
  public int trainPixels(long index, SplittableRandom random, byte[] dst, int offset) {
    int i = Math.toIntExact(index);
    int from = i * SIDE * SIDE;
    if (flips(random)) {
      for (int y = 0; y < SIDE; y++) {
        for (int x = 0; x < SIDE; x++) {
          dst[offset + y * SIDE + x] = trainImages[from + y * SIDE + SIDE - 1 - x];
        }
      }
    } else {
      System.arraycopy(trainImages, from, dst, offset, SIDE * SIDE);
    }
    return trainLabels[i];
  }

  /** Draws the flip of one example (one boolean, when flips are on). */
  private boolean flips(SplittableRandom random) {
    return randomFlip && random != null && random.nextBoolean();
  }

  @Override
  public int eval(long index, float[] dst, int offset) {
    return copy(testImages, testLabels, Math.toIntExact(index), dst, offset);
  }

  private int copy(byte[] images, byte[] labels, int i, float[] dst, int offset) {
    int from = i * SIDE * SIDE;
    for (int k = 0; k < SIDE * SIDE; k++) {
      dst[offset + k] = lookup[images[from + k] & 0xff];
    }
    return labels[i];
  }
}
