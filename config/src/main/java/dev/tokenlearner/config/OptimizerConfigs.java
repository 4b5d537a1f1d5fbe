package dev.tokenlearner.config;

import java.util.OptionalDouble;
import java.util.Set;

/**
 * {@code optimizer_configs}: the optimizer's hyper-parameters, with Scenic's (flax.optim / optax)
 * defaults. {@link OptimizerSpec} holds them after Scenic's backwards-compatibility rules.
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

  /** The config block's key. */
  public static final String KEY = "optimizer_configs";

  /** Keys allowed under {@value #KEY}. */
  static final Set<String> KEYS =
      Set.of("beta1", "beta2", "epsilon", "weight_decay", "momentum", "nesterov");

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
   * @throws ConfigValueException naming the offending key and value
   */
  public OptimizerConfigs {
    if (weightDecay == null || momentum == null) {
      throw new IllegalArgumentException("optimizer_configs fields must not be null");
    }
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new ConfigValueException("beta1", "must be in [0, 1), got " + beta1);
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new ConfigValueException("beta2", "must be in [0, 1), got " + beta2);
    }
    if (!(epsilon >= 0)) {
      throw new ConfigValueException("epsilon", "must be >= 0, got " + epsilon);
    }
    if (weightDecay.isPresent() && !(weightDecay.getAsDouble() >= 0)) {
      throw new ConfigValueException(
          "weight_decay", "must be >= 0, got " + weightDecay.getAsDouble());
    }
    if (momentum.isPresent() && !(momentum.getAsDouble() >= 0 && momentum.getAsDouble() < 1)) {
      throw new ConfigValueException(
          "momentum", "must be in [0, 1), got " + momentum.getAsDouble());
    }
  }

  /**
   * Reads the block (marking its keys as used).
   *
   * @param n the {@value #KEY} node
   * @return the hyper-parameters, defaults filled in
   * @throws ConfigException naming the dotted key of an unknown key or a bad value
   */
  static OptimizerConfigs read(ConfigNode n) {
    n.requireKnownKeys(KEYS);
    double b1 = n.doubleOr("beta1", BETA1_DEFAULT);
    double b2 = n.doubleOr("beta2", BETA2_DEFAULT);
    double eps = n.doubleOr("epsilon", EPSILON_DEFAULT);
    OptionalDouble wd = n.optDouble("weight_decay");
    OptionalDouble momentum = n.optDouble("momentum");
    boolean nesterov = n.boolOr("nesterov", false);
    try {
      return new OptimizerConfigs(b1, b2, eps, wd, momentum, nesterov);
    } catch (ConfigValueException e) {
      throw n.error(e.key(), e.problem());
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
