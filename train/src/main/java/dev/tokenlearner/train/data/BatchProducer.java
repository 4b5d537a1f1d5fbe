package dev.tokenlearner.train.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.SplittableRandom;
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
 *
 * <p>Batches are uint8 pixels when the dataset has them ({@link ImageDataset#hasPixels()}), else
 * float32 inputs.
 */
public final class BatchProducer implements AutoCloseable {

  /** Default number of batches prepared ahead. */
  public static final int QUEUE_CAPACITY_DEFAULT = 4;

  private final ImageDataset dataset;
  private final TrainOrder order;
  private final int batchSize;
  private final long endStep;
  private final boolean pixels;
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
    this(dataset, order, batchSize, firstStep, endStep, capacity, threads, dataset.hasPixels());
  }

  /**
   * Starts producing, choosing between uint8 and float batches (to compare the two).
   *
   * @param dataset the training data
   * @param order which examples each step sees
   * @param batchSize examples per batch
   * @param firstStep the first step to produce
   * @param endStep one past the last step to produce
   * @param capacity batches prepared ahead at most (at least {@code threads} are)
   * @param threads worker threads
   * @param pixels build uint8 batches ({@link ImageDataset#trainPixels}); needs {@link
   *     ImageDataset#hasPixels()}
   * @throws IllegalArgumentException if {@code threads} or {@code capacity} is not positive, or
   *     pixels are asked of a dataset without them
   */
  public BatchProducer(
      ImageDataset dataset,
      TrainOrder order,
      int batchSize,
      long firstStep,
      long endStep,
      int capacity,
      int threads,
      boolean pixels) {
    if (pixels && !dataset.hasPixels()) {
      throw new IllegalArgumentException(dataset.describe() + " has no uint8 training examples");
    }
    if (threads <= 0 || capacity <= 0) {
      throw new IllegalArgumentException(
          "threads and capacity must be positive, got " + threads + " and " + capacity);
    }
    this.dataset = dataset;
    this.order = order;
    this.batchSize = batchSize;
    this.endStep = endStep;
    this.pixels = pixels;
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
    inFlight.addLast(pool.submit(() -> build(dataset, order, batchSize, step, pixels)));
  }

  /**
   * Builds the batch of one step (also usable without a producer): uint8 pixels when the dataset
   * has them, else float inputs.
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
    return build(dataset, order, batchSize, step, dataset.hasPixels());
  }

  /**
   * Builds the batch of one step as uint8 pixels or float inputs.
   *
   * @param dataset the training data
   * @param order which examples each step sees
   * @param batchSize examples per batch
   * @param step the step
   * @param pixels uint8 pixels ({@link ImageDataset#trainPixels}) rather than float inputs
   * @return the batch
   * @throws IOException if an example cannot be read
   */
  public static Batch build(
      ImageDataset dataset, TrainOrder order, int batchSize, long step, boolean pixels)
      throws IOException {
    long[] shape = Batch.shapeOf(batchSize, dataset.exampleShape());
    int size = dataset.exampleSize();
    int[] labels = new int[batchSize];
    long[] idx = order.indices(step);
    if (pixels) {
      byte[] x = new byte[batchSize * size];
      SplittableRandom[] random = new SplittableRandom[batchSize];
      for (int j = 0; j < batchSize; j++) {
        random[j] = order.augmentation(step, j);
      }
      return Batch.ofPixels(
          step, shape, x, dataset.trainPixels(Arrays.copyOf(idx, batchSize), random, x));
    }
    float[] x = new float[batchSize * size];
    for (int j = 0; j < batchSize; j++) {
      labels[j] = dataset.train(idx[j], order.augmentation(step, j), x, j * size);
    }
    return new Batch(step, shape, x, labels);
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
