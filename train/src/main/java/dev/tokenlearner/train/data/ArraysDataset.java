package dev.tokenlearner.train.data;

import dev.tokenlearner.checkpoint.npy.NpyDtype;
import dev.tokenlearner.checkpoint.npy.Npz;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.core.InvalidInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Examples held in memory, read from {@code .npz} files with the arrays {@code images} (float32
 * {@code [N, H, W, C]}, or {@code [N, T, H, W, C]} for video) and {@code labels} (integer {@code
 * [N]}), fed exactly as stored: no resize, crop, flip, normalisation or mixup. The arrays must
 * already be at the model's input size.
 *
 * <p>The held-out split is a second file when given, else the training arrays themselves. With
 * {@code batch_size == N} every training step sees the whole set (in a per-step order; losses are
 * means, so the order does not change them beyond float rounding).
 */
public final class ArraysDataset implements ImageDataset {

  /** File-name suffix that selects this dataset for a data path. */
  public static final String SUFFIX = ".npz";

  /** Name of the image array. */
  public static final String IMAGES = "images";

  /** Name of the label array. */
  public static final String LABELS = "labels";

  private final Path trainFile;
  private final Split train;
  private final Split eval;
  private final int numClasses;

  private ArraysDataset(Path trainFile, Split train, Split eval, int numClasses) {
    this.trainFile = trainFile;
    this.train = train;
    this.eval = eval;
    this.numClasses = numClasses;
  }

  /**
   * Whether a data path names arrays for this dataset.
   *
   * @param path a data path
   * @return true for a {@code .npz} file name
   */
  public static boolean accepts(Path path) {
    return path.getFileName() != null && path.getFileName().toString().endsWith(SUFFIX);
  }

  /**
   * Reads the arrays.
   *
   * @param trainFile the training arrays
   * @param evalFile the held-out arrays; the training arrays are used when empty
   * @param in the model input the examples must have
   * @return the dataset
   * @throws InvalidInputException naming the file and array when an array is missing, has the wrong
   *     dtype or shape, or a label is outside {@code [0, num_classes)}
   * @throws IOException if a file cannot be read
   */
  public static ArraysDataset open(Path trainFile, Optional<Path> evalFile, InputSpec in)
      throws IOException {
    Split train = Split.read(trainFile, in);
    Split eval = evalFile.isPresent() ? Split.read(evalFile.get(), in) : train;
    return new ArraysDataset(trainFile, train, eval, in.numClasses());
  }

  @Override
  public String describe() {
    return "arrays("
        + trainFile.getFileName()
        + ", "
        + train.n
        + " examples "
        + Arrays.toString(train.example)
        + (eval == train ? "" : ", " + eval.n + " held out")
        + ")";
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public int[] exampleShape() {
    return train.example.clone();
  }

  @Override
  public int exampleSize() {
    return train.size;
  }

  @Override
  public long numTrain() {
    return train.n;
  }

  @Override
  public long numEval() {
    return eval.n;
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset) {
    return train.copy(index, dst, offset);
  }

  @Override
  public int eval(long index, float[] dst, int offset) {
    return eval.copy(index, dst, offset);
  }

  /** One file's images and labels. */
  private static final class Split {
    final int n;
    final int[] example;
    final int size;
    final float[] images;
    final int[] labels;

    private Split(int n, int[] example, float[] images, int[] labels) {
      this.n = n;
      this.example = example;
      this.size = images.length / Math.max(n, 1);
      this.images = images;
      this.labels = labels;
    }

    static Split read(Path file, InputSpec in) throws IOException {
      Map<String, Npz.Entry> arrays = Npz.read(file);
      Npz.Entry images = require(file, arrays, IMAGES);
      Npz.Entry labels = require(file, arrays, LABELS);
      if (images.dtype() != NpyDtype.FLOAT32) {
        throw new InvalidInputException(
            file + ": '" + IMAGES + "' must be float32, found " + images.dtype().descr());
      }
      if (labels.dtype() != NpyDtype.INT32 && labels.dtype() != NpyDtype.INT64) {
        throw new InvalidInputException(
            file + ": '" + LABELS + "' must be integers, found " + labels.dtype().descr());
      }
      long[] expected = in.shape(-1);
      long[] found = images.array().shape();
      boolean fits = found.length == expected.length && found[0] > 0;
      for (int i = 1; fits && i < found.length; i++) {
        fits = found[i] == expected[i];
      }
      if (!fits) {
        throw new InvalidInputException(
            file
                + ": '"
                + IMAGES
                + "' has shape "
                + Arrays.toString(found)
                + ", the model takes "
                + Arrays.toString(expected).replace("-1", "N")
                + " with N > 0");
      }
      long[] ls = labels.array().shape();
      if (ls.length != 1 || ls[0] != found[0]) {
        throw new InvalidInputException(
            file
                + ": '"
                + LABELS
                + "' has shape "
                + Arrays.toString(ls)
                + ", expected ["
                + found[0]
                + "] (one label per image)");
      }
      int n = Math.toIntExact(found[0]);
      float[] raw = labels.array().data();
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = (int) raw[i];
        if (y[i] != raw[i] || y[i] < 0 || y[i] >= in.numClasses()) {
          throw new InvalidInputException(
              file
                  + ": '"
                  + LABELS
                  + "'["
                  + i
                  + "] = "
                  + raw[i]
                  + " is not a class index in [0, "
                  + in.numClasses()
                  + ")");
        }
      }
      int[] example = new int[found.length - 1];
      for (int i = 0; i < example.length; i++) {
        example[i] = Math.toIntExact(found[i + 1]);
      }
      return new Split(n, example, images.array().data(), y);
    }

    private static Npz.Entry require(Path file, Map<String, Npz.Entry> arrays, String name) {
      Npz.Entry e = arrays.get(name);
      if (e == null) {
        throw new InvalidInputException(
            file + ": no array '" + name + "' (found " + arrays.keySet() + ")");
      }
      return e;
    }

    int copy(long index, float[] dst, int offset) {
      int i = Math.toIntExact(index);
      System.arraycopy(images, i * size, dst, offset, size);
      return labels[i];
    }
  }
}
