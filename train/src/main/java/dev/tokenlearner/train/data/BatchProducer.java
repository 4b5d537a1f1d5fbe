package dev.tokenlearner.train.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prepares training batches ahead of the training step on several threads.
 *
 * <p>Each batch is built whole by one worker ({@link #build}: read, decode and augment its
 * examples), and up to {@code capacity} steps are in flight at once, so with {@code threads}
 * workers that many batches are decoded in parallel while the step runs. Batches come out in step
 * order, starting at {@code firstStep}; each is a function of {@link TrainOrder} alone, so its
 * content depends only on (seed, step), whatever the thread count or timing. A failure while
 * building (an unreadable image, a bad record) is rethrown by {@link #next()} for that step.
 */
public final class BatchProducer implements AutoCloseable {

  /** Default number of batches prepared ahead. */
  public static final int QUEUE_CAPACITY_DEFAULT = 4;

  private final ImageDataset dataset;
  private final TrainOrder order;
  private final int batchSize;
  private final long endStep;
  private final ExecutorService pool;
  private final Deque<Future<Batch>> inFlight = new ArrayDeque<>();
  private long nextToSubmit;
  private long nextStep;

  /**
   * Starts producing with one worker thread.
   *
   * @param dataset the training data
   * @param order which examples each step sees
   * @param batchSize examples per batch
   * @param firstStep the first step to produce
   * @param endStep one past the last step to produce
   * @param capacity batches prepared ahead at most
   */
  public BatchProducer(
      ImageDataset dataset,
      TrainOrder order,
      int batchSize,
      long firstStep,
      long endStep,
      int capacity) {
    this(dataset, order, batchSize, firstStep, endStep, capacity, 1);
  }

  /**
   * Starts producing.
   *
   * @param dataset the training data
   * @param order which examples each step sees
   * @param batchSize examples per batch
   * @param firstStep the first step to produce
   * @param endStep one past the last step to produce
   * @param capacity batches prepared ahead at most (at least {@code threads} are)
   * @param threads worker threads
   * @throws IllegalArgumentException if {@code threads} or {@code capacity} is not positive
   */
  public BatchProducer(
      ImageDataset dataset,
      TrainOrder order,
      int batchSize,
      long firstStep,
      long endStep,
      int capacity,
      int threads) {
    if (threads <= 0 || capacity <= 0) {
      throw new IllegalArgumentException(
          "threads and capacity must be positive, got " + threads + " and " + capacity);
    }
    this.dataset = dataset;
    this.order = order;
    this.batchSize = batchSize;
    this.endStep = endStep;
    this.nextToSubmit = firstStep;
    this.nextStep = firstStep;
    AtomicInteger n = new AtomicInteger();
    ThreadFactory daemons =
        r -> {
          Thread t = new Thread(r, "batch-producer-" + n.getAndIncrement());
          t.setDaemon(true);
          return t;
        };
    this.pool = Executors.newFixedThreadPool(threads, daemons);
    int ahead = Math.max(capacity, threads);
    for (int i = 0; i < ahead; i++) {
      submitNext();
    }
  }

  /**
   * The number of worker threads to use by default: the available processors.
   *
   * @return at least 1
   */
  public static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  private void submitNext() {
    if (nextToSubmit >= endStep) {
      return;
    }
    long step = nextToSubmit++;
    inFlight.addLast(pool.submit(() -> build(dataset, order, batchSize, step)));
  }

  /**
   * Builds the batch of one step (also usable without a producer).
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
   * @throws IOException if reading the step's data failed
   * @throws IllegalStateException if every step was produced or building failed otherwise
   */
  public Batch next() throws IOException {
    Future<Batch> f = inFlight.pollFirst();
    if (f == null) {
      throw new IllegalStateException("batch producer has no step " + nextStep + " to produce");
    }
    submitNext();
    try {
      Batch b = f.get();
      nextStep = b.step() + 1;
      return b;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for step " + nextStep, e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw new IOException(
            "reading the batch of step " + nextStep + " failed: " + io.getMessage(), io);
      }
      if (c instanceof UncheckedIOException u) {
        throw new IOException(
            "reading the batch of step " + nextStep + " failed: " + u.getCause().getMessage(),
            u.getCause());
      }
      throw new IllegalStateException(
          "preparing the batch of step " + nextStep + " failed: " + c, c);
    }
  }

  /** Stops the workers and drops prepared batches. */
  @Override
  public void close() {
    inFlight.forEach(f -> f.cancel(true));
    inFlight.clear();
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
