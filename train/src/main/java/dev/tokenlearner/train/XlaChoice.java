package dev.tokenlearner.train;

import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.RuntimeConfig;
import java.util.Locale;

/**
 * Whether a training run compiles its step with XLA ({@link TrainStep.XlaScope#STEP}) and why: the
 * config's {@code jit} (or {@code train --xla/--no-xla}) when given, else a rule from what was
 * measured on CPU (docs/performance.md, XLA): XLA pays on ViT-sized encoders over runs long enough
 * to repay its compilation (10–40 s for small models; minutes for the whole Ti/16 step on two busy
 * cores with XLA's older CPU runtime), and did not on the bundled {@code fashion_mnist} model (0.8
 * M encoder weights, same speed with and without it).
 *
 * @param on whether to compile the step
 * @param reason one clause for the log line
 */
public record XlaChoice(boolean on, String reason) {

  /** Encoder weights below which XLA measured no faster ({@code fashion_mnist}: 0.8 M). */
  static final long MIN_ENCODER_WEIGHTS = 2_000_000;

  /**
   * Examples (steps times batch) below which the compilation is not repaid: a few percent of a
   * Ti/16 step saves about 1.5 ms per example, and compiling took up to 9 minutes.
   */
  static final long MIN_EXAMPLES = 500_000;

  /**
   * The choice for a run.
   *
   * @param runtime the config's {@code jit} and device
   * @param model the model, for its size
   * @param totalSteps the run's number of steps
   * @param batchSize the global batch size
   * @param replicas data-parallel replicas (XLA compiles a single replica's step only)
   * @return the choice with its reason
   */
  public static XlaChoice of(
      RuntimeConfig runtime, ModelConfig model, long totalSteps, int batchSize, int replicas) {
    if (runtime.jit().isPresent()) {
      return new XlaChoice(runtime.jit().get(), "jit: " + runtime.jit().get() + " in the config");
    }
    long weights = encoderWeights(model);
    String size = String.format(Locale.ROOT, "%.1f M encoder weights", weights / 1e6);
    if (replicas > 1) {
      return new XlaChoice(false, "jit auto: " + replicas + " replicas (XLA is single-replica)");
    }
    if (weights < MIN_ENCODER_WEIGHTS) {
      return new XlaChoice(
          false,
          "jit auto: "
              + size
              + " (below "
              + MIN_ENCODER_WEIGHTS / 1_000_000
              + " M XLA measured no"
              + " faster)");
    }
    long examples = totalSteps * batchSize;
    if (examples < MIN_EXAMPLES) {
      return new XlaChoice(
          false,
          "jit auto: "
              + totalSteps
              + " steps of "
              + batchSize
              + " would not repay XLA's compilation");
    }
    return new XlaChoice(
        true,
        "jit auto: "
            + size
            + " over "
            + totalSteps
            + " steps of "
            + batchSize
            + " (set jit: false to turn off)");
  }

  /** The encoder blocks' weight count, {@code L (4 h^2 + 2 h M)}: attention and MLP kernels. */
  static long encoderWeights(ModelConfig model) {
    long h = model.hiddenSize();
    return model.numLayers() * (4 * h * h + 2 * h * model.mlpDim());
  }
}
