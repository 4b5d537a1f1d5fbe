package dev.tokenlearner.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The optax optimizer Scenic builds ({@code optimizer_config.optimizer} after {@code
 * get_optax_optimizer_config}'s backwards-compatibility rules, see {@link OptimizerSpec#of}).
 *
 * <p>Each constant has exactly one update rule in the trainer ({@code
 * dev.tokenlearner.train.UpdateRule}: its slots, its per-parameter update and its optax state
 * layout). Adding an optimizer is a constant here plus its rule there; the trainer's switch from
 * kind to rule has no default, so the compiler asks for the rule.
 */
public enum OptimizerKind {
  /** {@code optax.adam}: {@code scale_by_adam}, then the learning rate. */
  ADAM("adam"),
  /**
   * {@code optax.adamw}: {@code scale_by_adam}, decoupled {@code add_decayed_weights}, then the
   * learning rate.
   */
  ADAMW("adamw"),
  /**
   * {@code optax.sgd}: an optional momentum {@code trace}, then the learning rate; Scenic puts
   * {@code add_decayed_weights} in front of it when {@code weight_decay} is set.
   */
  SGD("sgd");

  private final String scenicName;

  OptimizerKind(String scenicName) {
    this.scenicName = scenicName;
  }

  /**
   * Returns the name optax and Scenic configs use.
   *
   * @return e.g. {@code "adamw"}
   */
  public String scenicName() {
    return scenicName;
  }

  /**
   * Looks a kind up by its optax name.
   *
   * @param name the name
   * @return the kind
   * @throws IllegalArgumentException if no kind has that name
   */
  public static OptimizerKind fromScenicName(String name) {
    for (OptimizerKind k : values()) {
      if (k.scenicName.equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown optimizer '"
            + name
            + "'; expected "
            + Arrays.stream(values()).map(k -> k.scenicName).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return scenicName;
  }
}
