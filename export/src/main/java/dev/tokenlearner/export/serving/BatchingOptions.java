package dev.tokenlearner.export.serving;

import dev.tokenlearner.core.InvalidInputException;
import java.time.Duration;
import java.util.Objects;

/**
 * How {@link RequestBatcher} merges concurrent requests, as TF Serving's {@code --enable_batching}
 * parameters: a merged run starts once it holds {@code maxBatchSize} examples or its oldest request
 * has waited {@code timeout}, on one of {@code threads} batch threads.
 *
 * @param maxBatchSize most examples in one merged run ({@code max_batch_size}); a request larger
 *     than this runs on its own
 * @param timeout how long the first request of a batch waits for others ({@code
 *     batch_timeout_micros})
 * @param threads batch threads running merged runs concurrently ({@code num_batch_threads})
 */
public record BatchingOptions(int maxBatchSize, Duration timeout, int threads) {

  /** Examples per merged run unless set: the model's chunk size, so a merged run is one run. */
  public static final int MAX_BATCH_SIZE_DEFAULT = 32;

  /** Wait for more requests unless set. */
  public static final Duration TIMEOUT_DEFAULT = Duration.ofMillis(2);

  /** Checks the values. */
  public BatchingOptions {
    Objects.requireNonNull(timeout, "timeout");
    if (maxBatchSize <= 0) {
      throw new InvalidInputException("max batch size must be positive, got " + maxBatchSize);
    }
    if (timeout.isNegative()) {
      throw new InvalidInputException("batch timeout must not be negative, got " + timeout);
    }
    if (threads <= 0) {
      throw new InvalidInputException("batch threads must be positive, got " + threads);
    }
  }

  /**
   * The defaults: {@link #MAX_BATCH_SIZE_DEFAULT}, {@link #TIMEOUT_DEFAULT}, one batch thread per
   * processor.
   *
   * @return the options
   */
  public static BatchingOptions defaults() {
    return new BatchingOptions(
        MAX_BATCH_SIZE_DEFAULT, TIMEOUT_DEFAULT, Runtime.getRuntime().availableProcessors());
  }
}
