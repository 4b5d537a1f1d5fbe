package dev.tokenlearner.config;

/**
 * How data-parallel replicas average their gradients (not Scenic keys): the top-level keys {@code
 * allreduce_impl}, {@code allreduce_bucket_mb} and {@code allreduce_dtype}. Only runs with several
 * replicas read them.
 *
 * @param bucketMegabytes {@code allreduce_bucket_mb}: the gradients are all-reduced in buckets of
 *     about this many MiB of float32 values, last layer first, so the first buckets travel while
 *     the backward pass still computes earlier layers (default 25; does not change the numbers)
 * @param bfloat16 {@code allreduce_dtype: bfloat16}: the gradients travel as bfloat16 and are
 *     summed in float32 (default {@code float32}: exact to float rounding)
 * @param impl {@code allreduce_impl}: TensorFlow's collective ops inside the step (default) or the
 *     host-side ring between two session runs
 */
public record AllReduceConfig(double bucketMegabytes, boolean bfloat16, Impl impl) {

  /** Who averages the gradients. */
  public enum Impl {
    /** {@code collective}: TensorFlow's {@code CollectiveReduce} ops inside the step's graph. */
    COLLECTIVE,
    /**
     * {@code ring}: the step fetches the gradients, a ring all-reduce over TCP averages them in
     * host memory and a second session run feeds the mean to clipping and the update.
     */
    RING;

    /** The config value, e.g. {@code ring}. */
    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Config key of the implementation. */
  public static final String IMPL_KEY = "allreduce_impl";

  /** The accepted {@code allreduce_impl} values. */
  public static final java.util.List<String> IMPLS =
      java.util.Arrays.stream(Impl.values()).map(Impl::key).toList();

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
    java.util.Objects.requireNonNull(impl, "impl");
    if (!(bucketMegabytes > 0 && bucketMegabytes <= 1 << 20)) {
      throw new ConfigValueException(
          BUCKET_MB_KEY, "must be in (0, 1048576] MiB, got " + bucketMegabytes);
    }
  }

  /** Whether the host-side ring averages the gradients ({@code allreduce_impl: ring}). */
  public boolean ring() {
    return impl == Impl.RING;
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
    String impl = root.optString(IMPL_KEY).orElse(Impl.COLLECTIVE.key());
    if (!IMPLS.contains(impl)) {
      throw root.error(IMPL_KEY, "unknown value '" + impl + "'; expected one of " + IMPLS);
    }
    Impl chosen = Impl.valueOf(impl.toUpperCase(java.util.Locale.ROOT));
    return root.construct(() -> new AllReduceConfig(mb, dtype.equals("bfloat16"), chosen));
  }
}
