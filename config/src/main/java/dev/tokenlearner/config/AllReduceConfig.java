package dev.tokenlearner.config;

/**
 * How data-parallel replicas average their gradients (not a Scenic key): the top-level key {@code
 * allreduce_bucket_mb}. Only runs with several replicas read it; it does not change the numbers.
 *
 * @param bucketMegabytes {@code allreduce_bucket_mb}: the gradients are all-reduced in buckets of
 *     about this many MiB of float32 values, last layer first, so the first buckets travel while
 *     the backward pass still computes earlier layers (default 25)
 */
public record AllReduceConfig(double bucketMegabytes) {

  /** Config key of the bucket size. */
  public static final String BUCKET_MB_KEY = "allreduce_bucket_mb";

  /** Default bucket size in MiB. */
  public static final double BUCKET_MB_DEFAULT = 25;

  /**
   * Checks the values.
   *
   * @throws ConfigValueException naming the key at fault
   */
  public AllReduceConfig {
    if (!(bucketMegabytes > 0 && bucketMegabytes <= 1 << 20)) {
      throw new ConfigValueException(
          BUCKET_MB_KEY, "must be in (0, 1048576] MiB, got " + bucketMegabytes);
    }
  }

  /** The bucket size in bytes, at least one float. */
  public long bucketBytes() {
    return Math.max(Float.BYTES, (long) (bucketMegabytes * (1 << 20)));
  }

  /** Checks the key under a config's root (marking it as used); the default when absent. */
  static AllReduceConfig read(ConfigNode root) {
    double mb = root.doubleOr(BUCKET_MB_KEY, BUCKET_MB_DEFAULT);
    return root.construct(() -> new AllReduceConfig(mb));
  }

  /**
   * Reads the keys from a loaded config ({@link ConfigLoader} has validated them).
   *
   * @param cfg the config
   * @return the settings (defaults for absent keys)
   */
  public static AllReduceConfig of(ExperimentConfig cfg) {
    Object mb = cfg.raw().get(BUCKET_MB_KEY);
    return new AllReduceConfig(mb == null ? BUCKET_MB_DEFAULT : ((Number) mb).doubleValue());
  }
}
