package dev.tokenlearner.train;

/**
 * What one training step reports; loss and metrics are those of the batch before the update.
 *
 * @param step the global step the batch was trained at (0-based)
 * @param loss the batch's mean training loss (with label smoothing and L2 decay, if configured)
 * @param correct number of correct top-1 predictions in the batch
 * @param examples the batch size
 * @param learningRate the learning rate used for the update
 * @param gradNorm the global norm of the (aggregated) gradients before clipping
 */
public record StepResult(
    long step, float loss, float correct, int examples, float learningRate, float gradNorm) {

  /** Top-1 accuracy on the batch. */
  public float accuracy() {
    return correct / examples;
  }
}
