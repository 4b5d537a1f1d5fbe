package dev.tokenlearner.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What a training run did and wrote.
 *
 * @param startStep the step training started from (0, or the resumed checkpoint's step)
 * @param finalStep the global step reached
 * @param totalSteps the configured number of steps
 * @param trainLoss mean training loss over the last summary window
 * @param trainAccuracy mean training top-1 accuracy over the last summary window
 * @param evalLoss held-out loss of the last evaluation, if one ran
 * @param evalAccuracy held-out top-1 accuracy of the last evaluation, if one ran
 * @param imagesPerSecond training throughput (examples per second of step time, excluding
 *     evaluation and checkpointing)
 * @param wallSeconds wall-clock time of the whole run
 * @param device where TensorFlow placed the ops, e.g. {@code /device:CPU:0}
 * @param dataset a description of the training data
 * @param checkpoints checkpoint files written by this run, oldest first (older ones may have been
 *     pruned since)
 * @param finalModel the final parameters and a held-out sample, for the caller to export; present
 *     when the options asked for it and the run reached its last step (on the chief only)
 * @param tensorboardDir the TensorBoard log directory
 * @param metricsCsv the CSV of all logged scalars
 * @param curvesPng the learning-curve plot
 * @param inputWaitFraction share of the timed step loop spent waiting for the next batch (0 when
 *     the input pipeline keeps up)
 * @param time where the training loop's wall time went
 */
public record TrainSummary(
    long startStep,
    long finalStep,
    long totalSteps,
    double trainLoss,
    double trainAccuracy,
    OptionalDouble evalLoss,
    OptionalDouble evalAccuracy,
    double imagesPerSecond,
    double wallSeconds,
    String device,
    String dataset,
    List<Path> checkpoints,
    Optional<FinalModel> finalModel,
    Path tensorboardDir,
    Path metricsCsv,
    Path curvesPng,
    double inputWaitFraction,
    TimeBreakdown time) {

  /** Copies the checkpoint list. */
  public TrainSummary {
    checkpoints = List.copyOf(checkpoints);
  }

  /**
   * Returns the newest checkpoint this run wrote.
   *
   * @return its path, if any
   */
  public Optional<Path> lastCheckpoint() {
    return checkpoints.isEmpty()
        ? Optional.empty()
        : Optional.of(checkpoints.get(checkpoints.size() - 1));
  }
}
