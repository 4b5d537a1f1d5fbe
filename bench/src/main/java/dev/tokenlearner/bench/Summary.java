package dev.tokenlearner.bench;

import java.util.Arrays;

/**
 * Order statistics of repeated timings.
 *
 * <p>Percentiles interpolate linearly between closest ranks (numpy's default {@code linear}
 * method): the p-th percentile of sorted {@code x[0..n-1]} sits at rank {@code p/100 * (n-1)}.
 *
 * @param n number of samples
 * @param median the 50th percentile
 * @param p95 the 95th percentile
 * @param min the smallest sample
 * @param max the largest sample
 */
public record Summary(int n, double median, double p95, double min, double max) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if {@code n < 1} or the statistics are out of order
   */
  public Summary {
    if (n < 1) {
      throw new IllegalArgumentException("a summary needs at least one sample, got n=" + n);
    }
    if (!(min <= median && median <= p95 && p95 <= max)) {
      throw new IllegalArgumentException(
          "statistics out of order: min="
              + min
              + " median="
              + median
              + " p95="
              + p95
              + " max="
              + max);
    }
  }

  /**
   * Summarises samples.
   *
   * @param samples the values, any order; not modified
   * @return their summary
   * @throws IllegalArgumentException if there are no samples or one is NaN
   */
  public static Summary of(double[] samples) {
    if (samples.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    double[] s = samples.clone();
    Arrays.sort(s);
    if (Double.isNaN(s[s.length - 1])) {
      throw new IllegalArgumentException("NaN among samples " + Arrays.toString(samples));
    }
    return new Summary(s.length, percentile(s, 50), percentile(s, 95), s[0], s[s.length - 1]);
  }

  /**
   * The p-th percentile of sorted values, interpolating linearly between closest ranks.
   *
   * @param sorted values in ascending order
   * @param p the percentile, in {@code [0, 100]}
   * @return the interpolated value
   * @throws IllegalArgumentException if {@code sorted} is empty or {@code p} is out of range
   */
  public static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("percentile of no values");
    }
    if (!(p >= 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
    }
    double rank = p / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(lo + 1, sorted.length - 1);
    double frac = rank - lo;
    double v = sorted[lo] + frac * (sorted[hi] - sorted[lo]);
    // Rounding must not carry the value past its neighbours.
    return Math.min(Math.max(v, sorted[lo]), sorted[hi]);
  }

  /**
   * The spread relative to the median: {@code (max - min) / median}.
   *
   * @return the relative range, 0 for a single sample
   */
  public double relativeSpread() {
    return median == 0 ? 0 : (max - min) / median;
  }
}
