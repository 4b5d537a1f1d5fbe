package dev.tokenlearner.ops;

/**
 * Whether a graph is built for inference or for training.
 *
 * <p>Flax passes this as {@code deterministic} / {@code train}; here it is an argument of every
 * {@code apply} so a layer never keeps it as state. Dropout and stochastic depth are active only in
 * {@link #TRAINING}.
 */
public enum Mode {
  /** Deterministic forward pass: dropout and stochastic depth are the identity. */
  INFERENCE,
  /** Training forward pass: dropout and stochastic depth draw random masks. */
  TRAINING;

  /** True for {@link #TRAINING}. */
  public boolean isTraining() {
    return this == TRAINING;
  }
}
