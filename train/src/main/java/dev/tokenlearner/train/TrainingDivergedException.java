package dev.tokenlearner.train;

import dev.tokenlearner.core.UserError;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Training stopped because the loss became NaN or infinite. Nothing was saved after the last good
 * checkpoint, which the message names.
 */
public final class TrainingDivergedException extends IllegalStateException implements UserError {
  private static final long serialVersionUID = 1L;

  private final long step;
  private final double loss;
  private final transient Optional<Path> lastGoodCheckpoint;

  /**
   * @param step the step whose loss was not finite (1-based: the step being computed)
   * @param loss the value seen
   * @param learningRate the learning rate of that step
   * @param lastGoodCheckpoint the newest checkpoint, if any was written
   */
  public TrainingDivergedException(
      long step, double loss, double learningRate, Optional<Path> lastGoodCheckpoint) {
    super(
        "training diverged: loss is "
            + loss
            + " at step "
            + step
            + " (learning rate "
            + learningRate
            + "); "
            + lastGoodCheckpoint
                .map(
                    p ->
                        "the last good checkpoint is "
                            + p
                            + "; lower base_learning_rate or set max_grad_norm and resume")
                .orElse(
                    "no checkpoint was written yet; lower base_learning_rate or set"
                        + " max_grad_norm"));
    this.step = step;
    this.loss = loss;
    this.lastGoodCheckpoint = lastGoodCheckpoint;
  }

  /**
   * Returns the step whose loss was not finite.
   *
   * @return the step
   */
  public long step() {
    return step;
  }

  /**
   * Returns the loss value seen.
   *
   * @return NaN or an infinity
   */
  public double loss() {
    return loss;
  }

  /**
   * Returns the newest checkpoint written before the divergence.
   *
   * @return its path, if any
   */
  public Optional<Path> lastGoodCheckpoint() {
    return lastGoodCheckpoint;
  }
}
