package dev.tokenlearner.config;

/**
 * Dynamic loss scaling for {@code model_dtype_str: float16} training (not a Scenic key; bfloat16
 * and float32 have float32's range and need none): the top-level keys {@code loss_scale_init} and
 * {@code loss_scale_growth_steps}.
 *
 * <p>The loss is multiplied by the scale before the backward pass and the gradients divided by it,
 * so small float16 gradients do not flush to zero. A step whose gradients are not finite is skipped
 * and halves the scale; {@code growthSteps} finite steps in a row double it.
 *
 * @param initialScale {@code loss_scale_init}, the scale of the first step (default 2^15, as Keras'
 *     {@code LossScaleOptimizer})
 * @param growthSteps {@code loss_scale_growth_steps}, finite steps before the scale doubles
 *     (default 2000, as Keras)
 */
public record LossScaleConfig(double initialScale, int growthSteps) {

  /** Config key of the initial scale. */
  public static final String INIT_KEY = "loss_scale_init";

  /** Config key of the growth interval. */
  public static final String GROWTH_STEPS_KEY = "loss_scale_growth_steps";

  /** Default initial scale, 2^15. */
  public static final double INIT_DEFAULT = 32768;

  /** Default growth interval. */
  public static final int GROWTH_STEPS_DEFAULT = 2000;

  /**
   * Checks the values.
   *
   * @throws ConfigValueException naming the key at fault
   */
  public LossScaleConfig {
    if (!(initialScale >= 1 && initialScale <= 0x1p64)) {
      throw new ConfigValueException(INIT_KEY, "must be in [1, 2^64], got " + initialScale);
    }
    if (growthSteps <= 0) {
      throw new ConfigValueException(GROWTH_STEPS_KEY, "must be positive, got " + growthSteps);
    }
  }

  /** Reads the keys under a config's root (marking them as used); defaults for absent keys. */
  static LossScaleConfig read(ConfigNode root) {
    double init = root.doubleOr(INIT_KEY, INIT_DEFAULT);
    int growth = root.intOr(GROWTH_STEPS_KEY, GROWTH_STEPS_DEFAULT);
    return root.construct(() -> new LossScaleConfig(init, growth));
  }

  /**
   * The defaults: scale 2^15, growth after 2000 finite steps.
   *
   * @return the default settings
   */
  public static LossScaleConfig defaults() {
    return new LossScaleConfig(INIT_DEFAULT, GROWTH_STEPS_DEFAULT);
  }
}
