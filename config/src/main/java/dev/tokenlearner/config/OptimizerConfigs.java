package dev.tokenlearner.config;

import java.util.OptionalDouble;

/**
 * {@code optimizer_configs}: the optimizer's hyper-parameters, with Scenic's (flax.optim / optax)
 * defaults.
 *
 * @param beta1 {@code beta1}, Adam's first-moment decay (default 0.9)
 * @param beta2 {@code beta2}, Adam's second-moment decay (default 0.999)
 * @param epsilon {@code epsilon} (default 1e-8, optax's)
 * @param weightDecay {@code weight_decay}; with optimizer {@code adam} its presence makes Scenic
 *     use decoupled weight decay ({@code adamw})
 * @param momentum {@code momentum} for {@code momentum}/{@code sgd}/{@code nesterov}; Scenic fills
 *     0.9 (flax.optim's default) for {@code momentum} when unset
 * @param nesterov {@code nesterov} (default false; true for optimizer {@code nesterov})
 */
public record OptimizerConfigs(
    double beta1,
    double beta2,
    double epsilon,
    OptionalDouble weightDecay,
    OptionalDouble momentum,
    boolean nesterov) {

  /** Default {@code beta1}. */
  public static final double BETA1_DEFAULT = 0.9;

  /** Default {@code beta2}. */
  public static final double BETA2_DEFAULT = 0.999;

  /** Default {@code epsilon} (optax). */
  public static final double EPSILON_DEFAULT = 1e-8;

  /** Momentum Scenic fills in for optimizer {@code momentum} when none is given. */
  public static final double MOMENTUM_DEFAULT = 0.9;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the offending field and value
   */
  public OptimizerConfigs {
    if (weightDecay == null || momentum == null) {
      throw new IllegalArgumentException("optimizer_configs fields must not be null");
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException(
          "beta1 and beta2 must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(epsilon >= 0)) {
      throw new IllegalArgumentException("epsilon must be >= 0, got " + epsilon);
    }
    if (weightDecay.isPresent() && !(weightDecay.getAsDouble() >= 0)) {
      throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
    }
    if (momentum.isPresent() && !(momentum.getAsDouble() >= 0 && momentum.getAsDouble() < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
  }

  /**
   * Defaults for every field.
   *
   * @return beta1 0.9, beta2 0.999, epsilon 1e-8, no weight decay, no momentum, no Nesterov
   */
  public static OptimizerConfigs defaults() {
    return new OptimizerConfigs(
        BETA1_DEFAULT,
        BETA2_DEFAULT,
        EPSILON_DEFAULT,
        OptionalDouble.empty(),
        OptionalDouble.empty(),
        false);
  }
}
