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
 * @param optimizer {@code optimizer}, {@code optimizer_configs} and {@code
 *     skip_scale_and_bias_regularization}: the optimizer Scenic builds (default {@code adam})
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
    OptimizerSpec optimizer,
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

  /**
   * Top-level keys read here (besides the optimizer's, {@value LrConfig#KEY} and the dataset's).
   */
  static final Set<String> KEYS =
      Set.of(
          "num_training_steps",
          "num_training_epochs",
          "explicit_weight_decay",
          "l2_decay_factor",
          "max_grad_norm",
          "label_smoothing",
          "batch_size",
          "eval_batch_size",
          "log_eval_steps",
          "log_summary_steps",
          "checkpoint_steps",
          "max_checkpoint_keep",
          "rng_seed",
          "init_head_bias");

  /** Default {@code max_checkpoint_keep}. */
  public static final int MAX_CHECKPOINT_KEEP_DEFAULT = 3;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the offending field and value
   */
  public TrainConfig {
    if (optimizer == null
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

  /** Reads the training keys under a config's root (marking them as used). */
  static TrainConfig read(ConfigNode root) {
    OptimizerSpec optimizer = OptimizerSpec.read(root);
    OptionalLong steps = root.optLong("num_training_steps");
    OptionalDouble epochs = root.optDouble("num_training_epochs");
    OptionalDouble explicitWd = root.optDouble("explicit_weight_decay");
    OptionalDouble l2 = root.optDouble("l2_decay_factor");
    OptionalDouble clip = root.optDouble("max_grad_norm");
    OptionalDouble smoothing = root.optDouble("label_smoothing");
    OptionalInt batch = root.optInt("batch_size");
    OptionalInt evalBatch = root.optInt("eval_batch_size");
    OptionalInt logEval = root.optInt("log_eval_steps");
    OptionalInt logSummary = root.optInt("log_summary_steps");
    OptionalInt ckpt = root.optInt("checkpoint_steps");
    int keep = root.intOr("max_checkpoint_keep", TrainConfig.MAX_CHECKPOINT_KEEP_DEFAULT);
    long seed = root.optLong("rng_seed").orElse(0);
    OptionalDouble headBias = root.optDouble("init_head_bias");
    Optional<LrConfig> lr = root.child(LrConfig.KEY).map(LrConfig::read);
    DatasetConfig dataset = DatasetConfig.read(root);
    return root.construct(
        () ->
            new TrainConfig(
                optimizer,
                explicitWd,
                l2,
                clip,
                smoothing,
                batch,
                evalBatch,
                steps,
                epochs,
                logEval,
                logSummary,
                ckpt,
                keep,
                seed,
                headBias,
                lr,
                dataset));
  }
}
