package dev.tokenlearner.train.data;

import dev.tokenlearner.checkpoint.npy.NpyDtype;
import dev.tokenlearner.checkpoint.npy.Npz;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Examples held in memory: {@code images} (float32 {@code [N, H, W, C]}, or {@code [N, T, H, W, C]}
 * for video) and {@code labels} (integers {@code [N]}), fed exactly as stored: no resize, crop,
 * flip, normalisation or mixup. The arrays must already be at the model's input size. They come
 * from {@code .npz} files ({@link #open}) or from Java arrays ({@link #of}).
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

  private final String source;
  private final Split train;
  private final Split eval;
  private final int numClasses;

  private ArraysDataset(String source, Split train, Split eval, int numClasses) {
    this.source = source;
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
    return new ArraysDataset(String.valueOf(trainFile.getFileName()), train, eval, in.numClasses());
  }

  /**
   * Holds arrays from memory as a dataset, held-out split = the training arrays. The arrays are
   * used as they are, not copied: do not change them while the dataset is in use.
   *
   * <pre>{@code
   * InputSpec in = config.input();
   * try (ArraysDataset data = ArraysDataset.of(images, labels, in)) {
   *   Trainer.run(config, workdir, false, data, TrainOptions.defaults());
   * }
   * }</pre>
   *
   * @param images float32 {@code [N, H, W, C]} (or {@code [N, T, H, W, C]}) at the model's input
   *     size, normalised as the model expects
   * @param labels one class index per image
   * @param in the model input the examples must have
   * @return the dataset
   * @throws InvalidInputException when the shape does not fit the model, the label count differs
   *     from {@code N}, or a label is outside {@code [0, num_classes)}
   */
  public static ArraysDataset of(HostArray images, int[] labels, InputSpec in) {
    Split train = Split.of("images", "labels", images, labels, in);
    return new ArraysDataset("memory", train, train, in.numClasses());
  }

  /**
   * Holds training and held-out arrays from memory as a dataset; see {@link #of(HostArray, int[],
   * InputSpec)}.
   *
   * @param images training images
   * @param labels training labels
   * @param evalImages held-out images
   * @param evalLabels held-out labels
   * @param in the model input the examples must have
   * @return the dataset
   * @throws InvalidInputException when an array does not fit the model or its labels
   */
  public static ArraysDataset of(
      HostArray images, int[] labels, HostArray evalImages, int[] evalLabels, InputSpec in) {
    Split train = Split.of("images", "labels", images, labels, in);
    Split eval = Split.of("evalImages", "evalLabels", evalImages, evalLabels, in);
    return new ArraysDataset("memory", train, eval, in.numClasses());
  }

  @Override
  public String describe() {
    return "arrays("
        + source
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
      float[] raw = labels.array().data();
      int[] y = new int[raw.length];
      for (int i = 0; i < raw.length; i++) {
        y[i] = (int) raw[i];
        if (y[i] != raw[i]) {
          throw new InvalidInputException(
              file + ": '" + LABELS + "'[" + i + "] = " + raw[i] + " is not an integer");
        }
      }
      long[] ls = labels.array().shape();
      if (ls.length != 1) {
        throw new InvalidInputException(
            file + ": '" + LABELS + "' has shape " + Arrays.toString(ls) + ", expected [N]");
      }
      return of(file + ": '" + IMAGES + "'", file + ": '" + LABELS + "'", images.array(), y, in);
    }

    /**
     * Checks arrays against the model input.
     *
     * @param what the images' name in messages (file and array, or the argument)
     * @param labelsWhat the labels' name in messages
     */
    static Split of(String what, String labelsWhat, HostArray images, int[] labels, InputSpec in) {
      long[] expected = in.shape(-1);
      long[] found = images.shape();
      boolean fits = found.length == expected.length && found[0] > 0;
      for (int i = 1; fits && i < found.length; i++) {
        fits = found[i] == expected[i];
      }
      if (!fits) {
        throw new InvalidInputException(
            what
                + " has shape "
                + Arrays.toString(found)
                + ", the model takes "
                + Arrays.toString(expected).replace("-1", "N")
                + " with N > 0");
      }
      if (labels.length != found[0]) {
        throw new InvalidInputException(
            labelsWhat
                + " has "
                + labels.length
                + " entries, expected "
                + found[0]
                + " (one label per image)");
      }
      int n = Math.toIntExact(found[0]);
      for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= in.numClasses()) {
          throw new InvalidInputException(
              labelsWhat
                  + "["
                  + i
                  + "] = "
                  + labels[i]
                  + " is not a class index in [0, "
                  + in.numClasses()
                  + ")");
        }
      }
      int[] example = new int[found.length - 1];
      for (int i = 0; i < example.length; i++) {
        example[i] = Math.toIntExact(found[i + 1]);
      }
      return new Split(n, example, images.data(), labels);
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
