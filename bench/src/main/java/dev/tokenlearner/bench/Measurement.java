package dev.tokenlearner.bench;

/**
 * The timing of one model at one batch size, with its comparison against its plain ViT measured in
 * the same interleaved rounds.
 *
 * @param config the config name
 * @param plainName the name of the plain ViT it is compared with
 * @param kind forward pass or training step
 * @param batch images per run
 * @param millis per-run wall times in milliseconds
 * @param flopsPerImage analytic forward FLOPs per image
 * @param flopRatio plain FLOPs / this config's FLOPs (1 for plain rows)
 * @param speedup plain median time / this median time (1 for plain rows)
 * @param bestSpeedup plain fastest run / this fastest run (1 for plain rows): less sensitive to
 *     other load on the machine than the median ratio
 * @param peakGflops the MatMul peak measured in the same interleaved rounds, or NaN if none was
 */
public record Measurement(
    String config,
    String plainName,
    ModelRunner.Kind kind,
    int batch,
    Summary millis,
    double flopsPerImage,
    double flopRatio,
    double speedup,
    double bestSpeedup,
    double peakGflops) {

  /** Fraction of the FLOP ratio a TokenLearner config must reach as measured speedup. */
  public static final double SPEEDUP_TARGET = 0.95;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if a name or the timing is missing or the batch is not
   *     positive
   */
  public Measurement {
    if (config == null || plainName == null || kind == null || millis == null) {
      throw new IllegalArgumentException("measurement fields must not be null");
    }
    if (batch < 1) {
      throw new IllegalArgumentException(config + ": batch must be positive, got " + batch);
    }
  }

  /**
   * Whether this is a plain ViT row.
   *
   * @return true if the config is its own baseline
   */
  public boolean isPlain() {
    return config.equals(plainName);
  }

  /**
   * Throughput at the median run time.
   *
   * @return images per second
   */
  public double imagesPerSecond() {
    return batch / (millis.median() / 1e3);
  }

  /**
   * Achieved analytic GFLOP/s of the forward pass at the median run time. For training steps this
   * is the forward FLOPs only, so it understates the work done.
   *
   * @return {@code flopsPerImage * batch / median seconds / 1e9}
   */
  public double gflopsPerSecond() {
    return flopsPerImage * batch / (millis.median() / 1e3) / 1e9;
  }

  /**
   * Achieved GFLOP/s as a fraction of the peak measured alongside.
   *
   * @return {@code gflopsPerSecond / peakGflops}, NaN without a peak
   */
  public double fractionOfPeak() {
    return gflopsPerSecond() / peakGflops;
  }

  /**
   * How much of the FLOP ratio the measured speedup reaches.
   *
   * @return {@code speedup / flopRatio}
   */
  public double speedupEfficiency() {
    return speedup / flopRatio;
  }

  /**
   * Whether the speedup reaches {@value #SPEEDUP_TARGET} of the FLOP ratio (plain rows always do).
   *
   * @return true if the target is met
   */
  public boolean meetsTarget() {
    return isPlain() || speedupEfficiency() >= SPEEDUP_TARGET;
  }
}
