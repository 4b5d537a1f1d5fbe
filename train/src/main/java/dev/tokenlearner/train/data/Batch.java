package dev.tokenlearner.train.data;

import java.util.Arrays;

/**
 * One batch of examples on the host, ready to feed: either float32 model inputs ({@link #images})
 * or uint8 pixels in {@code 0..255} ({@link #pixels}) that the training graph normalises on the
 * device (a quarter of the bytes to copy and feed).
 *
 * @param step the training step this batch belongs to ({@code -1} for held-out batches)
 * @param shape {@code [batch, height, width, channels]}, or {@code [batch, frames, height, width,
 *     channels]} for video
 * @param images float32 model inputs, C order, {@code product(shape)} of them; null for a uint8
 *     batch
 * @param pixels uint8 pixels, C order, {@code product(shape)} of them; null for a float batch
 * @param labels one label per example
 */
public record Batch(long step, long[] shape, float[] images, byte[] pixels, int[] labels) {

  /**
   * Checks that exactly one of the arrays is set and that it agrees with the shape.
   *
   * @throws IllegalArgumentException naming the shape and the array length
   */
  public Batch {
    if ((shape.length != 4 && shape.length != 5) || shape[0] != labels.length) {
      throw new IllegalArgumentException(
          "batch shape " + Arrays.toString(shape) + " does not match " + labels.length + " labels");
    }
    if ((images == null) == (pixels == null)) {
      throw new IllegalArgumentException("a batch holds either float images or uint8 pixels");
    }
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    int length = images != null ? images.length : pixels.length;
    if (length != n) {
      throw new IllegalArgumentException(
          "batch shape "
              + Arrays.toString(shape)
              + " does not match "
              + length
              + (images != null ? " floats" : " pixels"));
    }
  }

  /**
   * A batch of float32 model inputs (already normalised).
   *
   * @param step the training step ({@code -1} for held-out batches)
   * @param shape the batch shape
   * @param images the inputs, C order
   * @param labels one label per example
   */
  public Batch(long step, long[] shape, float[] images, int[] labels) {
    this(step, shape, images, null, labels);
  }

  /**
   * A batch of uint8 pixels, normalised by the training graph.
   *
   * @param step the training step
   * @param shape the batch shape
   * @param pixels values {@code 0..255} as bytes, C order
   * @param labels one label per example
   * @return the batch
   */
  public static Batch ofPixels(long step, long[] shape, byte[] pixels, int[] labels) {
    return new Batch(step, shape, null, pixels, labels);
  }

  /**
   * Whether the batch holds uint8 pixels rather than float inputs.
   *
   * @return true for a {@link #ofPixels} batch
   */
  public boolean isPixels() {
    return pixels != null;
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
