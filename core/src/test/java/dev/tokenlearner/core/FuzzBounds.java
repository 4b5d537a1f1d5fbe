package dev.tokenlearner.core;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What every fuzz target checks besides "only typed errors": the heap a reader allocates for one
 * input stays within a bound set by the input's size, so a header that claims 2^40 elements is
 * refused before anything that large is allocated.
 */
public final class FuzzBounds {

  /** Fixed allowance: buffers, scratch arrays, parser state. */
  public static final long BASE_BYTES = 64L << 20;

  /** Allowance per input byte (float32 from bfloat16 doubles; boxed trees add more). */
  public static final long PER_INPUT_BYTE = 64;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** A reader call on one fuzz input. */
  @FunctionalInterface
  public interface Body {
    void run() throws Exception;
  }

  private FuzzBounds() {}

  /**
   * Runs {@code body} and fails if it allocated more than {@code BASE_BYTES + PER_INPUT_BYTE *
   * inputBytes} on this thread; exceptions from {@code body} pass through.
   *
   * @param inputBytes the size of the fuzz input
   * @param body the reader call
   */
  public static void withinBound(long inputBytes, Body body) throws Exception {
    withinBound(BASE_BYTES + PER_INPUT_BYTE * inputBytes, inputBytes, body);
  }

  /**
   * As {@link #withinBound(long, Body)} with an explicit limit. An input over the limit is run a
   * second time before failing: the first run of a code path also counts the loading (and, when
   * fuzzing, instrumentation) of classes, which is not the reader's doing.
   */
  public static void withinBound(long limit, long inputBytes, Body body) throws Exception {
    long used = allocatedBy(body);
    if (used > limit) {
      used = allocatedBy(body);
    }
    if (used > limit) {
      throw new AssertionError(
          "allocated " + used + " bytes for a " + inputBytes + "-byte input; bound " + limit);
    }
  }

  private static long allocatedBy(Body body) throws Exception {
    long tid = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(tid);
    body.run();
    return THREADS.getThreadAllocatedBytes(tid) - before;
  }

  /** A fresh scratch directory for one fuzz input (fuzz runs make many). */
  public static Path scratch(String prefix) throws IOException {
    return Files.createTempDirectory("fuzz-" + prefix);
  }

  /** Deletes a scratch directory; a missing one is fine. */
  public static void delete(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
