package dev.tokenlearner.train.data;

import java.util.Arrays;

/**
 * One batch of examples on the host, ready to feed.
 *
 * @param step the training step this batch belongs to ({@code -1} for held-out batches)
 * @param shape {@code [batch, height, width, channels]}, or {@code [batch, frames, height, width,
 *     channels]} for video
 * @param images float32 pixels, C order, {@code product(shape)} of them
 * @param labels one label per example
 */
public record Batch(long step, long[] shape, float[] images, int[] labels) {

  /** Checks that the arrays agree with the shape. */
  public Batch {
    if ((shape.length != 4 && shape.length != 5) || shape[0] != labels.length) {
      throw new IllegalArgumentException(
          "batch shape " + Arrays.toString(shape) + " does not match " + labels.length + " labels");
    }
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (images.length != n) {
      throw new IllegalArgumentException(
          "batch shape " + Arrays.toString(shape) + " does not match " + images.length + " floats");
    }
  }

  /**
   * The shape of a batch of examples.
   *
   * @param batch examples in the batch
   * @param example the shape of one example ({@link ImageDataset#exampleShape()})
   * @return {@code [batch, example...]}
   */
  public static long[] shapeOf(int batch, int[] example) {
    long[] s = new long[example.length + 1];
    s[0] = batch;
    for (int i = 0; i < example.length; i++) {
      s[i + 1] = example[i];
    }
    return s;
  }

  /**
   * Returns the number of examples.
   *
   * @return the batch size
   */
  public int size() {
    return labels.length;
  }
}
