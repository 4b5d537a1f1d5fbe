package dev.tokenlearner.train.data;

import java.io.IOException;
import java.util.SplittableRandom;

/**
 * A labelled image dataset with a training split and a held-out split, addressed by index so that
 * batches can be a pure function of (seed, step).
 *
 * <p>Examples are written as float32 NHWC pixels, already normalised for the model. Datasets whose
 * training examples are naturally {@code 0..255} pixels (decoded images, Fashion-MNIST) can also
 * write them as uint8 ({@link #hasPixels()}, {@link #trainPixels}); the trainer then feeds bytes
 * and the training graph normalises them with the experiment's normalisation. Implementations must
 * be safe to call from one producer thread while the caller's thread reads the held-out split.
 * Held-out examples go through {@link dev.tokenlearner.graph.preprocess.EvalPreprocessing}, the
 * same ops {@code predict} runs on image files.
 */
public interface ImageDataset extends AutoCloseable {

  /**
   * A short description for logs, e.g. {@code embedded_shapes(32x32, 10 classes)}.
   *
   * @return the description
   */
  String describe();

  /**
   * Returns the number of classes; labels are in {@code [0, numClasses)}.
   *
   * @return the number of classes
   */
  int numClasses();

  /**
   * Returns the example shape {@code [height, width, channels]} ({@code [frames, height, width,
   * channels]} for video).
   *
   * @return the shape of one example
   */
  int[] exampleShape();

  /**
   * Returns the number of training examples (one epoch).
   *
   * @return the training split's size
   */
  long numTrain();

  /**
   * Returns the number of held-out examples.
   *
   * @return the held-out split's size
   */
  long numEval();

  /**
   * Writes training example {@code index}, augmented with {@code random}, into {@code dst}.
   *
   * @param index in {@code [0, numTrain)}
   * @param random the augmentation randomness for this example (a pure function of seed and
   *     position in the run)
   * @param dst destination
   * @param offset first float of the example in {@code dst}
   * @return the example's label
   * @throws IOException if the example cannot be read or decoded
   */
  int train(long index, SplittableRandom random, float[] dst, int offset) throws IOException;

  /**
   * Whether {@link #trainPixels} is implemented: training examples are {@code 0..255} pixels before
   * normalisation.
   *
   * @return false unless the dataset overrides it
   */
  default boolean hasPixels() {
    return false;
  }

  /**
   * Writes training example {@code index}, augmented with {@code random}, into {@code dst} as uint8
   * pixels in {@code 0..255}, not normalised: the same example as {@link #train} up to rounding to
   * whole pixel values (at most 0.5 before normalisation) and the normalisation, which the training
   * graph applies.
   *
   * @param index in {@code [0, numTrain)}
   * @param random the augmentation randomness for this example (drawn as {@link #train} draws it)
   * @param dst destination, {@link #exampleSize()} bytes per example
   * @param offset first byte of the example in {@code dst}
   * @return the example's label
   * @throws IOException if the example cannot be read or decoded
   * @throws UnsupportedOperationException if {@link #hasPixels()} is false
   */
  default int trainPixels(long index, SplittableRandom random, byte[] dst, int offset)
      throws IOException {
    throw new UnsupportedOperationException(describe() + " has no uint8 training examples");
  }

  /**
   * Writes a batch of training examples as uint8 pixels ({@link #trainPixels(long,
   * SplittableRandom, byte[], int)} for each, in order); datasets that can augment a whole batch at
   * once override it.
   *
   * @param indices the examples, each in {@code [0, numTrain)}
   * @param random each example's augmentation randomness
   * @param dst destination, {@link #exampleSize()} bytes per example, {@code indices.length}
   *     examples
   * @return the examples' labels
   * @throws IOException if an example cannot be read or decoded
   */
  default int[] trainPixels(long[] indices, SplittableRandom[] random, byte[] dst)
      throws IOException {
    int size = exampleSize();
    int[] labels = new int[indices.length];
    for (int j = 0; j < indices.length; j++) {
      labels[j] = trainPixels(indices[j], random[j], dst, j * size);
    }
    return labels;
  }

  /**
   * Writes held-out example {@code index} (no augmentation) into {@code dst}.
   *
   * @param index in {@code [0, numEval)}
   * @param dst destination
   * @param offset first float of the example in {@code dst}
   * @return the example's label
   * @throws IOException if the example cannot be read or decoded
   */
  int eval(long index, float[] dst, int offset) throws IOException;

  /**
   * Floats per example.
   *
   * @return the product of {@link #exampleShape()}
   */
  default int exampleSize() {
    int n = 1;
    for (int d : exampleShape()) {
      n *= d;
    }
    return n;
  }

  /** Frees native resources (the preprocessing graph); the default holds none. */
  @Override
  default void close() {}
}
