package dev.tokenlearner.config;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Scenic's training keys. Keys that Scenic treats as "None means off" or derives when unset are
 * optionals here; the {@code resolved*} methods apply Scenic's fallbacks ({@code
 * classification_trainer}: {@code log_eval_steps or steps_per_epoch}, {@code checkpoint_steps or
 * log_eval_steps}, {@code log_summary_steps or log_eval_steps}, {@code eval_batch_size} defaults to
 * {@code batch_size}).
 *
 * @param optimizer {@code optimizer}: {@code adam}, {@code adamw}, {@code momentum}, {@code sgd} or
 *     {@code nesterov} (default {@code adam})
 * @param optimizerConfigs {@code optimizer_configs}
 * @param explicitWeightDecay {@code explicit_weight_decay}: decay applied outside the optimizer
 * @param l2DecayFactor {@code l2_decay_factor}: L2 penalty added to the loss
 * @param maxGradNorm {@code max_grad_norm}: global-norm gradient clipping
 * @param labelSmoothing {@code label_smoothing}
 * @param batchSize {@code batch_size} (global)
 * @param evalBatchSize {@code eval_batch_size}
 * @param numTrainingSteps {@code num_training_steps}; exclusive with epochs
 * @param numTrainingEpochs {@code num_training_epochs}
 * @param logEvalSteps {@code log_eval_steps}
 * @param logSummarySteps {@code log_summary_steps}
 * @param checkpointSteps {@code checkpoint_steps}
 * @param maxCheckpointKeep {@code max_checkpoint_keep} (default 3)
 * @param rngSeed {@code rng_seed} (default 0)
 * @param initHeadBias {@code init_head_bias}: initial value of {@code output_projection/bias}
 * @param lrConfigs {@code lr_configs}; empty for inference-only configs
 * @param dataset the dataset keys
 */
public record TrainConfig(
    String optimizer,
    OptimizerConfigs optimizerConfigs,
    OptionalDouble explicitWeightDecay,
    OptionalDouble l2DecayFactor,
    OptionalDouble maxGradNorm,
    OptionalDouble labelSmoothing,
    OptionalInt batchSize,
    OptionalInt evalBatchSize,
    OptionalLong numTrainingSteps,
    OptionalDouble numTrainingEpochs,
    OptionalInt logEvalSteps,
    OptionalInt logSummarySteps,
    OptionalInt checkpointSteps,
    int maxCheckpointKeep,
    long rngSeed,
    OptionalDouble initHeadBias,
    Optional<LrConfig> lrConfigs,
    DatasetConfig dataset) {

  /** Optimizer names accepted in {@code optimizer}. */
  public static final Set<String> OPTIMIZERS =
      Set.of("adam", "adamw", "momentum", "sgd", "nesterov");

  /** Default {@code optimizer}. */
  public static final String OPTIMIZER_DEFAULT = "adam";

  /** Default {@code max_checkpoint_keep}. */
  public static final int MAX_CHECKPOINT_KEEP_DEFAULT = 3;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the offending field and value
   */
  public TrainConfig {
    if (optimizer == null
        || optimizerConfigs == null
        || explicitWeightDecay == null
        || l2DecayFactor == null
        || maxGradNorm == null
        || labelSmoothing == null
        || batchSize == null
        || evalBatchSize == null
        || numTrainingSteps == null
        || numTrainingEpochs == null
        || logEvalSteps == null
        || logSummarySteps == null
        || checkpointSteps == null
        || initHeadBias == null
        || lrConfigs == null
        || dataset == null) {
      throw new IllegalArgumentException("training fields must not be null");
    }
    if (!OPTIMIZERS.contains(optimizer)) {
      throw new IllegalArgumentException(
          "unknown optimizer '" + optimizer + "'; expected one of " + OPTIMIZERS);
    }
    positiveIfSet("batch_size", batchSize);
    positiveIfSet("eval_batch_size", evalBatchSize);
    positiveIfSet("log_eval_steps", logEvalSteps);
    positiveIfSet("log_summary_steps", logSummarySteps);
    positiveIfSet("checkpoint_steps", checkpointSteps);
    if (numTrainingSteps.isPresent() && numTrainingSteps.getAsLong() <= 0) {
      throw new IllegalArgumentException(
          "num_training_steps must be positive, got " + numTrainingSteps.getAsLong());
    }
    if (numTrainingEpochs.isPresent() && !(numTrainingEpochs.getAsDouble() > 0)) {
      throw new IllegalArgumentException(
          "num_training_epochs must be positive, got " + numTrainingEpochs.getAsDouble());
    }
    if (numTrainingSteps.isPresent() && numTrainingEpochs.isPresent()) {
      throw new ConfigValueException(
          "num_training_epochs", "set only one of num_training_steps and num_training_epochs");
    }
    if (maxGradNorm.isPresent() && !(maxGradNorm.getAsDouble() > 0)) {
      throw new IllegalArgumentException("max_grad_norm must be positive, got " + maxGradNorm);
    }
    if (labelSmoothing.isPresent()
        && !(labelSmoothing.getAsDouble() >= 0 && labelSmoothing.getAsDouble() < 1)) {
      throw new IllegalArgumentException(
          "label_smoothing must be in [0, 1), got " + labelSmoothing);
    }
    if (maxCheckpointKeep <= 0) {
      throw new IllegalArgumentException(
          "max_checkpoint_keep must be positive, got " + maxCheckpointKeep);
    }
  }

  private static void positiveIfSet(String name, OptionalInt v) {
    if (v.isPresent() && v.getAsInt() <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + v.getAsInt());
    }
  }

  /**
   * The optimizer Scenic actually builds (its backwards-compatibility rules in {@code
   * get_optax_optimizer_config}): {@code adam} with a {@code weight_decay} becomes {@code adamw};
   * {@code momentum} and {@code nesterov} become {@code sgd} with momentum.
   *
   * @return {@code adam}, {@code adamw} or {@code sgd}
   */
  public String effectiveOptimizer() {
    return switch (optimizer) {
      case "adam" -> optimizerConfigs.weightDecay().isPresent() ? "adamw" : "adam";
      case "momentum", "nesterov" -> "sgd";
      default -> optimizer;
    };
  }

  /**
   * The momentum Scenic uses: the configured one, or 0.9 for {@code momentum}/{@code nesterov} when
   * unset, or 0 for plain {@code sgd}.
   *
   * @return the momentum coefficient
   */
  public double effectiveMomentum() {
    if (optimizerConfigs.momentum().isPresent()) {
      return optimizerConfigs.momentum().getAsDouble();
    }
    return optimizer.equals("sgd") ? 0.0 : OptimizerConfigs.MOMENTUM_DEFAULT;
  }

  /**
   * Returns {@code eval_batch_size}, or {@code batch_size} when unset.
   *
   * @return the evaluation batch size
   * @throws IllegalStateException if neither is set
   */
  public int resolvedEvalBatchSize() {
    if (evalBatchSize.isPresent()) {
      return evalBatchSize.getAsInt();
    }
    return requireBatchSize();
  }

  /**
   * Returns {@code batch_size}.
   *
   * @return the global batch size
   * @throws IllegalStateException if the config sets none
   */
  public int requireBatchSize() {
    return batchSize.orElseThrow(() -> new IllegalStateException("config sets no batch_size"));
  }

  /**
   * Steps per epoch, {@code num_train_examples // batch_size} (drop remainder, as Scenic).
   *
   * @param numTrainExamples examples in the training split
   * @return steps per epoch (may be 0 for a tiny split)
   */
  public long stepsPerEpoch(long numTrainExamples) {
    return numTrainExamples / requireBatchSize();
  }

  /**
   * Total training steps (Scenic's {@code get_num_training_steps}): {@code num_training_steps} when
   * set, else {@code int(num_training_epochs * steps_per_epoch)}.
   *
   * @param numTrainExamples examples in the training split
   * @return the number of steps
   * @throws IllegalStateException if neither steps nor epochs are set
   */
  public long resolvedTotalSteps(long numTrainExamples) {
    if (numTrainingSteps.isPresent()) {
      return numTrainingSteps.getAsLong();
    }
    if (numTrainingEpochs.isEmpty()) {
      throw new IllegalStateException(
          "config sets neither num_training_steps nor num_training_epochs");
    }
    return (long) (stepsPerEpoch(numTrainExamples) * numTrainingEpochs.getAsDouble());
  }

  /**
   * Returns {@code log_eval_steps}, else steps per epoch.
   *
   * @param stepsPerEpoch steps per epoch
   * @return how often to evaluate
   * @throws IllegalStateException if both are unset or zero (Scenic raises the same)
   */
  public long resolvedLogEvalSteps(long stepsPerEpoch) {
    long v = logEvalSteps.isPresent() ? logEvalSteps.getAsInt() : stepsPerEpoch;
    if (v <= 0) {
      throw new IllegalStateException("'log_eval_steps' should be specified in the config");
    }
    return v;
  }

  /**
   * Returns {@code checkpoint_steps}, else the resolved {@code log_eval_steps}.
   *
   * @param stepsPerEpoch steps per epoch
   * @return how often to checkpoint
   */
  public long resolvedCheckpointSteps(long stepsPerEpoch) {
    return checkpointSteps.isPresent()
        ? checkpointSteps.getAsInt()
        : resolvedLogEvalSteps(stepsPerEpoch);
  }

  /**
   * Returns {@code log_summary_steps}, else the resolved {@code log_eval_steps}.
   *
   * @param stepsPerEpoch steps per epoch
   * @return how often to log training summaries
   */
  public long resolvedLogSummarySteps(long stepsPerEpoch) {
    return logSummarySteps.isPresent()
        ? logSummarySteps.getAsInt()
        : resolvedLogEvalSteps(stepsPerEpoch);
  }
}
