package dev.tokenlearner.config;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The dataset keys the trainer reads: top-level {@code dataset_name} and {@code data_dtype_str},
 * and {@code dataset_configs.{data_dir (or base_dir), num_train_examples, num_eval_examples,
 * skip_bad_examples}} (also accepted under {@code dataset_meta_data}).
 *
 * @param datasetName {@code dataset_name}, e.g. {@code embedded_shapes}, {@code image_folder},
 *     {@code tfrecord}; empty for inference-only configs
 * @param dataDir {@code dataset_configs.data_dir} or {@code dataset_configs.base_dir}
 * @param numTrainExamples training examples per epoch, when known from the config
 * @param numEvalExamples evaluation examples, when known from the config
 * @param dataDtypeStr {@code data_dtype_str} (default {@code float32})
 * @param skipBadExamples {@code dataset_configs.skip_bad_examples}: an unreadable training example
 *     (corrupt image, bad record, label out of range) is replaced by the next readable one and
 *     counted in the log, instead of stopping the run (default false)
 */
public record DatasetConfig(
    Optional<String> datasetName,
    Optional<String> dataDir,
    OptionalLong numTrainExamples,
    OptionalLong numEvalExamples,
    String dataDtypeStr,
    boolean skipBadExamples) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if a field is null or an example count is not positive
   */
  public DatasetConfig {
    if (datasetName == null
        || dataDir == null
        || numTrainExamples == null
        || numEvalExamples == null
        || dataDtypeStr == null) {
      throw new IllegalArgumentException("dataset fields must not be null");
    }
    if (numTrainExamples.isPresent() && numTrainExamples.getAsLong() <= 0) {
      throw new IllegalArgumentException(
          "num_train_examples must be positive, got " + numTrainExamples.getAsLong());
    }
    if (numEvalExamples.isPresent() && numEvalExamples.getAsLong() <= 0) {
      throw new IllegalArgumentException(
          "num_eval_examples must be positive, got " + numEvalExamples.getAsLong());
    }
  }
}
