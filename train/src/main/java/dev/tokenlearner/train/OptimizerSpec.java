package dev.tokenlearner.train;

import dev.tokenlearner.config.ConfigException;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.OptimizerConfigs;
import dev.tokenlearner.config.TrainConfig;
import java.util.OptionalDouble;

/**
 * The optimizer Scenic builds from a config (after {@code get_optax_optimizer_config}'s
 * backwards-compatibility rules), reduced to what the update needs.
 *
 * @param kind {@code adam}, {@code adamw} or {@code sgd}
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param epsilon Adam's epsilon (added outside the square root, as optax does)
 * @param weightDecay decoupled weight decay ({@code adamw}) or {@code add_decayed_weights} ({@code
 *     sgd}); 0 for none
 * @param momentum {@code sgd}'s momentum, empty for plain SGD (optax's {@code identity})
 * @param nesterov {@code sgd}'s Nesterov flag
 * @param maxGradNorm global-norm clipping threshold ({@code max_grad_norm}), empty for none
 * @param explicitWeightDecay {@code explicit_weight_decay}: {@code w *= 1 - lr * d} on kernels
 *     after the update, empty for none
 * @param l2DecayFactor {@code l2_decay_factor}: {@code 0.5 * f * sum(w^2)} over parameters of rank
 *     above 1 added to the loss (Scenic's {@code l2_regularization})
 * @param skipScaleAndBiasRegularization {@code skip_scale_and_bias_regularization}: {@code sgd}'s
 *     {@code weight_decay} leaves rank-1 parameters (LayerNorm scales, biases) alone, as Scenic's
 *     optax mask {@code x.ndim != 1} does; {@code adamw} decays everything regardless, as in Scenic
 *     (see {@link #decays})
 */
public record OptimizerSpec(
    String kind,
    double beta1,
    double beta2,
    double epsilon,
    double weightDecay,
    OptionalDouble momentum,
    boolean nesterov,
    OptionalDouble maxGradNorm,
    OptionalDouble explicitWeightDecay,
    OptionalDouble l2DecayFactor,
    boolean skipScaleAndBiasRegularization) {

  /** Top-level config key of {@link #skipScaleAndBiasRegularization()}. */
  public static final String SKIP_SCALE_AND_BIAS = "skip_scale_and_bias_regularization";

  /** Checks the kind. */
  public OptimizerSpec {
    if (!kind.equals("adam") && !kind.equals("adamw") && !kind.equals("sgd")) {
      throw new IllegalArgumentException(
          "optimizer kind must be adam, adamw or sgd, got '" + kind + "'");
    }
  }

  /**
   * Reads the experiment's optimizer keys.
   *
   * @param cfg the experiment
   * @return the optimizer
   * @throws ConfigException if {@code skip_scale_and_bias_regularization} is not a boolean
   */
  public static OptimizerSpec of(ExperimentConfig cfg) {
    Object skip = cfg.raw().get(SKIP_SCALE_AND_BIAS);
    if (skip != null && !(skip instanceof Boolean)) {
      throw new ConfigException(
          cfg.source(), SKIP_SCALE_AND_BIAS, "must be true or false, got " + skip);
    }
    return of(cfg.train(), Boolean.TRUE.equals(skip));
  }

  /**
   * Reads the training config.
   *
   * @param train the training keys
   * @param skipScaleAndBiasRegularization Scenic's {@code skip_scale_and_bias_regularization}
   * @return the optimizer
   */
  public static OptimizerSpec of(TrainConfig train, boolean skipScaleAndBiasRegularization) {
    OptimizerConfigs oc = train.optimizerConfigs();
    String kind = train.effectiveOptimizer();
    OptionalDouble momentum = OptionalDouble.empty();
    if (kind.equals("sgd")) {
      boolean plainSgdWithoutMomentum = train.optimizer().equals("sgd") && oc.momentum().isEmpty();
      momentum =
          plainSgdWithoutMomentum
              ? OptionalDouble.empty()
              : OptionalDouble.of(train.effectiveMomentum());
    }
    boolean nesterov = oc.nesterov() || train.optimizer().equals("nesterov");
    return new OptimizerSpec(
        kind,
        oc.beta1(),
        oc.beta2(),
        oc.epsilon(),
        oc.weightDecay().orElse(0.0),
        momentum,
        nesterov,
        train.maxGradNorm(),
        train.explicitWeightDecay(),
        train.l2DecayFactor(),
        skipScaleAndBiasRegularization);
  }

  /**
   * Whether {@code weight_decay} applies to a parameter.
   *
   * @param shape the parameter's shape
   * @return false for rank-1 parameters when scales and biases are skipped
   */
  public boolean decays(long[] shape) {
    // Scenic's get_optimizer hands adamw its mask inside an ml_collections ConfigDict, which optax
    // then takes for a single truthy leaf: adamw decays every parameter whatever the flag says.
    // sgd's add_decayed_weights gets the mask itself and skips rank-1 parameters.
    return !skipScaleAndBiasRegularization || isAdam() || shape.length != 1;
  }

  /**
   * Whether this optimizer keeps Adam's moment slots.
   *
   * @return true for adam and adamw
   */
  public boolean isAdam() {
    return !kind.equals("sgd");
  }
}
