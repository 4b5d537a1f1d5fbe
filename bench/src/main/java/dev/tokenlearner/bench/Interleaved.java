package dev.tokenlearner.bench;

import java.util.List;

/**
 * Runs several timed tasks in interleaved rounds so slow drift (thermal, other load, page cache)
 * hits every task alike.
 *
 * <p>First {@code warmup} rounds run every task and discard the times. Then each of {@code
 * repetitions} rounds runs every task once; round {@code r} starts at task {@code r mod n} so no
 * task is always first (A B C, B C A, C A B, ...).
 */
public final class Interleaved {

  /** A task whose single run returns its own elapsed nanoseconds. */
  @FunctionalInterface
  public interface Timed {
    /**
     * Runs the task once.
     *
     * @return the nanoseconds the measured part took
     */
    long runNanos();
  }

  private Interleaved() {}

  /**
   * Measures the tasks.
   *
   * @param tasks the tasks, in their base order
   * @param warmup rounds whose times are discarded
   * @param repetitions measured rounds
   * @return {@code ms[task][round]}: milliseconds of each measured run
   * @throws IllegalArgumentException if there are no tasks, {@code warmup < 0} or {@code
   *     repetitions < 1}
   */
  public static double[][] measure(List<? extends Timed> tasks, int warmup, int repetitions) {
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("no tasks to measure");
    }
    if (warmup < 0 || repetitions < 1) {
      throw new IllegalArgumentException(
          "need warmup >= 0 and repetitions >= 1, got warmup="
              + warmup
              + " repetitions="
              + repetitions);
    }
    int n = tasks.size();
    for (int w = 0; w < warmup; w++) {
      for (Timed t : tasks) {
        t.runNanos();
      }
    }
    double[][] ms = new double[n][repetitions];
    for (int r = 0; r < repetitions; r++) {
      for (int k = 0; k < n; k++) {
        int i = (r + k) % n;
        ms[i][r] = tasks.get(i).runNanos() / 1e6;
      }
    }
    return ms;
  }
}
