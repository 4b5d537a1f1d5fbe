package dev.tokenlearner.train;

import dev.tokenlearner.graph.config.OptimizerConfigs;
import dev.tokenlearner.graph.config.TrainConfig;
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
 * @param l2DecayFactor {@code l2_decay_factor}: {@code 0.5 * f * sum(w^2)} added to the loss
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
    OptionalDouble l2DecayFactor) {

  /** Checks the kind. */
  public OptimizerSpec {
    if (!kind.equals("adam") && !kind.equals("adamw") && !kind.equals("sgd")) {
      throw new IllegalArgumentException(
          "optimizer kind must be adam, adamw or sgd, got '" + kind + "'");
    }
  }

  /**
   * Reads the training config.
   *
   * @param train the training keys
   * @return the optimizer
   */
  public static OptimizerSpec of(TrainConfig train) {
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
        train.l2DecayFactor());
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
