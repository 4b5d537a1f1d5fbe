package dev.tokenlearner.train.data;

import java.util.Arrays;

/**
 * One batch of examples on the host, ready to feed.
 *
 * @param step the training step this batch belongs to ({@code -1} for held-out batches)
 * @param shape {@code [batch, height, width, channels]}
 * @param images float32 pixels, C order, {@code product(shape)} of them
 * @param labels one label per example
 */
public record Batch(long step, long[] shape, float[] images, int[] labels) {

  /** Checks that the arrays agree with the shape. */
  public Batch {
    if (shape.length != 4 || shape[0] != labels.length) {
      throw new IllegalArgumentException(
          "batch shape " + Arrays.toString(shape) + " does not match " + labels.length + " labels");
    }
    if ((long) images.length != shape[0] * shape[1] * shape[2] * shape[3]) {
      throw new IllegalArgumentException(
          "batch shape " + Arrays.toString(shape) + " does not match " + images.length + " floats");
    }
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
