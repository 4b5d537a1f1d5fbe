package dev.tokenlearner.config;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

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
 * @param randomFlip {@code dataset_configs.random_flip}: flip training images left-right at random
 *     (datasets that do not augment otherwise; default false)
 * @param video the video sampling and multi-crop test keys under {@code dataset_configs}
 */
public record DatasetConfig(
    Optional<String> datasetName,
    Optional<String> dataDir,
    OptionalLong numTrainExamples,
    OptionalLong numEvalExamples,
    String dataDtypeStr,
    boolean skipBadExamples,
    boolean randomFlip,
    VideoDatasetConfig video) {

  /** The section most dataset keys live in. */
  public static final String SECTION = "dataset_configs";

  /** The section Scenic keeps dataset sizes in. */
  public static final String META_SECTION = "dataset_meta_data";

  /** Keys read here under {@value #SECTION} (besides {@link VideoDatasetConfig#KEYS}). */
  static final Set<String> KEYS =
      Set.of(
          "data_dir",
          "base_dir",
          "num_train_examples",
          "num_eval_examples",
          "skip_bad_examples",
          "random_flip");

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
        || dataDtypeStr == null
        || video == null) {
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

  /**
   * Reads {@code dataset_name}, {@code data_dtype_str} and the dataset's keys under {@value
   * #SECTION} and {@value #META_SECTION} (marking them as used).
   */
  static DatasetConfig read(ConfigNode root) {
    Optional<String> name = root.optString("dataset_name");
    String dtype = root.optString("data_dtype_str").orElse("float32");
    Optional<ConfigNode> d = root.child(SECTION);
    Optional<ConfigNode> meta = root.child(META_SECTION);
    Optional<String> dir = d.flatMap(n -> n.optString("data_dir"));
    if (dir.isEmpty()) {
      dir = d.flatMap(n -> n.optString("base_dir"));
    }
    OptionalLong train = count(d, meta, "num_train_examples");
    OptionalLong eval = count(d, meta, "num_eval_examples");
    boolean skip = d.map(n -> n.boolOr("skip_bad_examples", false)).orElse(false);
    boolean flip = d.map(n -> n.boolOr("random_flip", false)).orElse(false);
    VideoDatasetConfig video =
        d.map(VideoDatasetConfig::read).orElse(VideoDatasetConfig.defaults());
    Optional<String> dataDir = dir;
    return d.orElse(root)
        .construct(() -> new DatasetConfig(name, dataDir, train, eval, dtype, skip, flip, video));
  }

  /** An example count from {@value #SECTION}, else from {@value #META_SECTION}. */
  private static OptionalLong count(Optional<ConfigNode> d, Optional<ConfigNode> meta, String key) {
    OptionalLong v = d.isPresent() ? d.get().optLong(key) : OptionalLong.empty();
    if (v.isEmpty() && meta.isPresent()) {
      v = meta.get().optLong(key);
    }
    return v;
  }
}
