package dev.tokenlearner.export.serving;

import dev.tokenlearner.core.InvalidInputException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link RestServer} serves: request threads, the largest request body, and how long a shutdown
 * waits for requests in flight.
 *
 * @param threads request threads; with batching, each waiting request holds one, so use at least as
 *     many as concurrent clients
 * @param maxBodyBytes larger request bodies are answered 413
 * @param drainTimeout how long {@link RestServer#close} waits for requests in flight
 * @param batching merge concurrent predict requests ({@link RequestBatcher}), or run each alone
 */
public record ServerOptions(
    int threads, long maxBodyBytes, Duration drainTimeout, Optional<BatchingOptions> batching) {

  /** Request threads unless set. */
  public static final int THREADS_DEFAULT = 16;

  /**
   * Largest request body unless set: 256 MiB. A batch of 64 preprocessed 224x224x3 images is
   * 9,633,792 numbers; written as JSON by Python ({@code json.dumps(x.tolist())}: at most 23
   * characters a number, such as {@code -1.2345678901234567e-05}, plus separators and brackets,
   * under 26 bytes a number) that is under 250,478,592 bytes, below 268,435,456. The same batch as
   * base64 JPEGs is a few MB.
   */
  public static final long MAX_BODY_BYTES_DEFAULT = 256L << 20;

  /** Drain time unless set. */
  public static final Duration DRAIN_TIMEOUT_DEFAULT = Duration.ofSeconds(30);

  /** Checks the values. */
  public ServerOptions {
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(batching, "batching");
    if (threads <= 0) {
      throw new InvalidInputException("threads must be positive, got " + threads);
    }
    // Bodies are read into one array.
    if (maxBodyBytes <= 0 || maxBodyBytes > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(
          "max body bytes must be in 1.." + (Integer.MAX_VALUE - 8) + ", got " + maxBodyBytes);
    }
    if (drainTimeout.isNegative()) {
      throw new InvalidInputException("drain timeout must not be negative, got " + drainTimeout);
    }
  }

  /**
   * The defaults.
   *
   * @return {@link #THREADS_DEFAULT} threads, {@link #MAX_BODY_BYTES_DEFAULT}, {@link
   *     #DRAIN_TIMEOUT_DEFAULT}, no batching
   */
  public static ServerOptions defaults() {
    return new ServerOptions(
        THREADS_DEFAULT, MAX_BODY_BYTES_DEFAULT, DRAIN_TIMEOUT_DEFAULT, Optional.empty());
  }

  /**
   * A copy with another thread count.
   *
   * @param value request threads
   * @return the copy
   */
  public ServerOptions withThreads(int value) {
    return new ServerOptions(value, maxBodyBytes, drainTimeout, batching);
  }

  /**
   * A copy with another body limit.
   *
   * @param value largest accepted body in bytes
   * @return the copy
   */
  public ServerOptions withMaxBodyBytes(long value) {
    return new ServerOptions(threads, value, drainTimeout, batching);
  }

  /**
   * A copy with another drain time.
   *
   * @param value how long a shutdown waits for requests in flight
   * @return the copy
   */
  public ServerOptions withDrainTimeout(Duration value) {
    return new ServerOptions(threads, maxBodyBytes, value, batching);
  }

  /**
   * A copy that merges concurrent predict requests.
   *
   * @param value the batching parameters
   * @return the copy
   */
  public ServerOptions withBatching(BatchingOptions value) {
    return new ServerOptions(threads, maxBodyBytes, drainTimeout, Optional.of(value));
  }
}
