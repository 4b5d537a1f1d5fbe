package dev.tokenlearner.train;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.ops.Mode;

/**
 * How long building a config's graph takes: the inference model ({@link ModelGraph}) or the
 * trainer's whole step ({@link TrainStep}: model, loss, gradients, clipping, schedule, optimizer).
 *
 * @param ops number of ops in the graph
 * @param seconds wall-clock seconds to build it (including the session for a training step)
 */
public record BuildTime(int ops, double seconds) {

  /** Builds the inference graph once and times it. */
  public static BuildTime inference(ExperimentConfig config) {
    long t0 = System.nanoTime();
    try (ModelGraph model = ModelGraph.build(config, Mode.INFERENCE, -1)) {
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new BuildTime(model.opCount(), seconds);
    }
  }

  /**
   * Builds the training step once and times it.
   *
   * @throws IllegalArgumentException if the config has no {@code lr_configs}
   */
  public static BuildTime training(ExperimentConfig config) {
    long t0 = System.nanoTime();
    try (TrainStep step = TrainStep.builder(config).build()) {
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new BuildTime(ModelGraph.countOps(step.graph()), seconds);
    }
  }

  /** Seconds per 1000 ops, to compare graphs of different sizes. */
  public double secondsPerThousandOps() {
    return seconds * 1000 / ops;
  }
}
