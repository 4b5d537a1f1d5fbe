package dev.tokenlearner.train.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Prepares training batches ahead of the training step on a background thread, into a bounded
 * queue.
 *
 * <p>Batches come out in step order, starting at {@code firstStep}; each is built from {@link
 * TrainOrder}, so its content depends only on (seed, step). A failure on the producer thread (an
 * unreadable image, a bad record) is rethrown by {@link #next()}.
 */
public final class BatchProducer implements AutoCloseable {

  /** Default number of batches prepared ahead. */
  public static final int QUEUE_CAPACITY_DEFAULT = 4;

  private final BlockingQueue<Object> queue;
  private final Thread thread;
  private volatile boolean closed;
  private long nextStep;

  /**
   * Starts producing.
   *
   * @param dataset the training data
   * @param order which examples each step sees
   * @param batchSize examples per batch
   * @param firstStep the first step to produce
   * @param endStep one past the last step to produce
   * @param capacity batches held ready at most
   */
  public BatchProducer(
      ImageDataset dataset,
      TrainOrder order,
      int batchSize,
      long firstStep,
      long endStep,
      int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.nextStep = firstStep;
    this.thread =
        new Thread(() -> produce(dataset, order, batchSize, firstStep, endStep), "batch-producer");
    thread.setDaemon(true);
    thread.start();
  }

  private void produce(
      ImageDataset dataset, TrainOrder order, int batchSize, long firstStep, long endStep) {
    try {
      for (long step = firstStep; step < endStep && !closed; step++) {
        Batch b = build(dataset, order, batchSize, step);
        while (!closed && !queue.offer(b, 100, TimeUnit.MILLISECONDS)) {
          // wait for the consumer, checking for close
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        queue.clear();
        queue.offer(e);
      }
    }
  }

  /**
   * Builds the batch of one step (also usable without a producer thread).
   *
   * @param dataset the training data
   * @param order which examples each step sees
   * @param batchSize examples per batch
   * @param step the step
   * @return the batch
   * @throws IOException if an example cannot be read
   */
  public static Batch build(ImageDataset dataset, TrainOrder order, int batchSize, long step)
      throws IOException {
    int[] s = dataset.exampleShape();
    int size = dataset.exampleSize();
    float[] images = new float[batchSize * size];
    int[] labels = new int[batchSize];
    long[] idx = order.indices(step);
    for (int j = 0; j < batchSize; j++) {
      labels[j] = dataset.train(idx[j], order.augmentation(step, j), images, j * size);
    }
    return new Batch(step, Batch.shapeOf(batchSize, s), images, labels);
  }

  /**
   * The next batch, waiting for it if needed.
   *
   * @return the batch of the next step
   * @throws IOException if the producer failed to read data
   * @throws IllegalStateException if the producer has finished or was closed
   */
  public Batch next() throws IOException {
    Object o;
    try {
      while ((o = queue.poll(1, TimeUnit.SECONDS)) == null) {
        if (!thread.isAlive() && queue.isEmpty()) {
          throw new IllegalStateException("batch producer stopped before step " + nextStep);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for step " + nextStep, e);
    }
    if (o instanceof IOException e) {
      throw new IOException(
          "reading the batch of step " + nextStep + " failed: " + e.getMessage(), e);
    }
    if (o instanceof UncheckedIOException e) {
      throw new IOException(
          "reading the batch of step " + nextStep + " failed: " + e.getCause().getMessage(),
          e.getCause());
    }
    if (o instanceof RuntimeException e) {
      throw new IllegalStateException(
          "preparing the batch of step " + nextStep + " failed: " + e, e);
    }
    Batch b = (Batch) o;
    nextStep = b.step() + 1;
    return b;
  }

  /** Stops the producer thread and drops prepared batches. */
  @Override
  public void close() {
    closed = true;
    queue.clear();
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
