package dev.tokenlearner.train.data;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset whose unreadable training examples are replaced, not fatal ({@code
 * dataset_configs.skip_bad_examples: true}): when example {@code i} fails (corrupt image, truncated
 * or malformed record, label out of range), example {@code i + 1}, {@code i + 2}, ... is used
 * instead, with the same augmentation randomness, so a batch stays a function of (seed, step). Each
 * skip is logged with the file and record at fault, and {@link #skipped()} counts them. After
 * {@link #MAX_CONSECUTIVE} failures in a row the error is rethrown, since the data is then more
 * likely unreadable as a whole. Held-out examples are not skipped: evaluation reports on exactly
 * the held-out split.
 */
public final class SkippingDataset implements ImageDataset {

  /** Consecutive failing examples after which the error is rethrown. */
  public static final int MAX_CONSECUTIVE = 16;

  private static final Logger LOG = LoggerFactory.getLogger(SkippingDataset.class);

  private final ImageDataset inner;
  private final AtomicLong skipped = new AtomicLong();

  /**
   * Wraps a dataset.
   *
   * @param inner the dataset whose bad training examples are skipped
   */
  public SkippingDataset(ImageDataset inner) {
    this.inner = inner;
  }

  /**
   * Returns the wrapped dataset.
   *
   * @return the dataset whose bad examples are skipped
   */
  public ImageDataset inner() {
    return inner;
  }

  /**
   * Returns the number of training examples skipped so far.
   *
   * @return the count
   */
  public long skipped() {
    return skipped.get();
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    return firstReadable(index, random, (i, r) -> inner.train(i, r, dst, offset));
  }

  @Override
  public boolean hasPixels() {
    return inner.hasPixels();
  }

  @Override
  public int trainPixels(long index, SplittableRandom random, byte[] dst, int offset)
      throws IOException {
    return firstReadable(index, random, (i, r) -> inner.trainPixels(i, r, dst, offset));
  }

  /** Reads one training example into a destination; returns its label. */
  @FunctionalInterface
  private interface Reader {
    int read(long index, SplittableRandom random) throws IOException;
  }

  private int firstReadable(long index, SplittableRandom random, Reader reader) throws IOException {
    IOException first = null;
    for (int k = 0; k < MAX_CONSECUTIVE; k++) {
      long i = (index + k) % inner.numTrain();
      try {
        return reader.read(i, random.split());
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
        long n = skipped.incrementAndGet();
        LOG.warn("skipping bad training example {} ({} skipped so far): {}", i, n, e.getMessage());
      }
    }
    throw new IOException(
        MAX_CONSECUTIVE
            + " consecutive training examples from "
            + index
            + " are unreadable; first: "
            + first.getMessage(),
        first);
  }

  @Override
  public int eval(long index, float[] dst, int offset) throws IOException {
    return inner.eval(index, dst, offset);
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public int numClasses() {
    return inner.numClasses();
  }

  @Override
  public int[] exampleShape() {
    return inner.exampleShape();
  }

  @Override
  public long numTrain() {
    return inner.numTrain();
  }

  @Override
  public long numEval() {
    return inner.numEval();
  }

  @Override
  public void close() {
    inner.close();
  }
}
