package dev.tokenlearner.config;

/**
 * How data-parallel replicas average their gradients (not Scenic keys): the top-level keys {@code
 * allreduce_bucket_mb} and {@code allreduce_dtype}. Only runs with several replicas read them.
 *
 * @param bucketMegabytes {@code allreduce_bucket_mb}: the gradients are all-reduced in buckets of
 *     about this many MiB of float32 values, last layer first, so the first buckets travel while
 *     the backward pass still computes earlier layers (default 25; does not change the numbers)
 * @param bfloat16 {@code allreduce_dtype: bfloat16}: the gradients travel as bfloat16 and are
 *     summed in float32 (default {@code float32}: exact to float rounding)
 */
public record AllReduceConfig(double bucketMegabytes, boolean bfloat16) {

  /** Config key of the bucket size. */
  public static final String BUCKET_MB_KEY = "allreduce_bucket_mb";

  /** Config key of the wire dtype. */
  public static final String DTYPE_KEY = "allreduce_dtype";

  /** The accepted {@code allreduce_dtype} values. */
  public static final java.util.List<String> DTYPES = java.util.List.of("float32", "bfloat16");

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

  /** Checks the keys under a config's root (marking them as used); defaults when absent. */
  static AllReduceConfig read(ConfigNode root) {
    double mb = root.doubleOr(BUCKET_MB_KEY, BUCKET_MB_DEFAULT);
    String dtype = root.optString(DTYPE_KEY).orElse(DTYPES.get(0));
    if (!DTYPES.contains(dtype)) {
      throw root.error(DTYPE_KEY, "unknown value '" + dtype + "'; expected one of " + DTYPES);
    }
    return root.construct(() -> new AllReduceConfig(mb, dtype.equals("bfloat16")));
  }
}
