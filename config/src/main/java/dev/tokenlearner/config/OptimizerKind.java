package dev.tokenlearner.config;

/**
 * The optax optimizer Scenic builds ({@code optimizer_config.optimizer} after {@code
 * get_optax_optimizer_config}'s backwards-compatibility rules, see {@link OptimizerSpec#of}).
 *
 * <p>Each constant has exactly one update rule in the trainer ({@code
 * dev.tokenlearner.train.UpdateRule}: its slots, its per-parameter update and its optax state
 * layout). Adding an optimizer is a constant here plus its rule there; the trainer's switch from
 * kind to rule has no default, so the compiler asks for the rule.
 */
public enum OptimizerKind implements ScenicNamed {
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
  @Override
  public String scenicName() {
    return scenicName;
  }

  /**
   * Looks a kind up by its optax name.
   *
   * @param name the name
   * @return the kind
   * @throws dev.tokenlearner.core.InvalidInputException if no kind has that name
   */
  public static OptimizerKind fromScenicName(String name) {
    return ScenicNames.lookup(values(), name, "optimizer");
  }

  @Override
  public String toString() {
    return scenicName;
  }
}
