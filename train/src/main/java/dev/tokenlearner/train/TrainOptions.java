package dev.tokenlearner.train;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How a run presents itself and where it stops; none of this changes the trained weights.
 *
 * @param progressBar show a console progress bar (step, loss, accuracy, images/s, ETA)
 * @param finalModel hand the final parameters and a held-out sample back in {@link
 *     TrainSummary#finalModel()} when training reaches its last step, for the caller to export
 * @param logDevicePlacement ask TensorFlow to log the device of every op ({@code
 *     log_device_placement})
 * @param stopAfterStep stop (with a checkpoint) once this step is reached, before the configured
 *     end; a later {@code resume} continues exactly where it stopped
 * @param evalData held-out arrays ({@code .npz}) for a run on {@code .npz} training data; without
 *     them the training arrays are evaluated
 * @param profileSteps trace this many steps (after two warm-up steps) with TensorFlow's step stats:
 *     log the top ops and write {@code profile_trace.json} (Chrome trace) to the workdir; 0
 *     profiles nothing
 */
public record TrainOptions(
    boolean progressBar,
    boolean finalModel,
    boolean logDevicePlacement,
    OptionalLong stopAfterStep,
    Optional<Path> evalData,
    int profileSteps) {

  /** Checks the stop step. */
  public TrainOptions {
    if (evalData == null) {
      throw new IllegalArgumentException("evalData must not be null (use Optional.empty())");
    }
    if (stopAfterStep == null) {
      throw new IllegalArgumentException(
          "stopAfterStep must not be null (use OptionalLong.empty())");
    }
    if (profileSteps < 0) {
      throw new IllegalArgumentException("profileSteps must be >= 0, got " + profileSteps);
    }
    if (stopAfterStep.isPresent() && stopAfterStep.getAsLong() <= 0) {
      throw new IllegalArgumentException(
          "stopAfterStep must be positive, got " + stopAfterStep.getAsLong());
    }
  }

  /**
   * The defaults: progress bar on, final model handed back, no placement log, run to the end.
   *
   * @return the default options
   */
  public static TrainOptions defaults() {
    return new TrainOptions(true, true, false, OptionalLong.empty(), Optional.empty(), 0);
  }

  /**
   * Quiet options for tests and batch jobs: no progress bar, no final model.
   *
   * @return the options
   */
  public static TrainOptions quiet() {
    return new TrainOptions(false, false, false, OptionalLong.empty(), Optional.empty(), 0);
  }

  /**
   * Returns a copy that stops after {@code step}.
   *
   * @param step the last step to run
   * @return the copy
   */
  public TrainOptions stopAfter(long step) {
    return new TrainOptions(
        progressBar, finalModel, logDevicePlacement, OptionalLong.of(step), evalData, profileSteps);
  }

  /**
   * Returns a copy with the progress bar switched on or off.
   *
   * @param value whether to show it
   * @return the copy
   */
  public TrainOptions withProgressBar(boolean value) {
    return new TrainOptions(
        value, finalModel, logDevicePlacement, stopAfterStep, evalData, profileSteps);
  }

  /**
   * Returns a copy that does or does not hand the final model back.
   *
   * @param value whether to hand it back
   * @return the copy
   */
  public TrainOptions withFinalModel(boolean value) {
    return new TrainOptions(
        progressBar, value, logDevicePlacement, stopAfterStep, evalData, profileSteps);
  }

  /**
   * Returns a copy that evaluates on the given held-out arrays.
   *
   * @param file a {@code .npz} file with {@code images} and {@code labels}
   * @return the copy
   */
  public TrainOptions withEvalData(Path file) {
    return new TrainOptions(
        progressBar,
        finalModel,
        logDevicePlacement,
        stopAfterStep,
        Optional.of(file),
        profileSteps);
  }

  /**
   * Returns a copy that profiles {@code steps} steps.
   *
   * @param steps how many steps to trace (0: none)
   * @return the copy
   */
  public TrainOptions withProfileSteps(int steps) {
    return new TrainOptions(
        progressBar, finalModel, logDevicePlacement, stopAfterStep, evalData, steps);
  }
}
