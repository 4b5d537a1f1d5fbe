package dev.tokenlearner.config;

import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Scenic's video keys under {@code dataset_configs} (the ViViT/DMVR pipeline): how clips are
 * sampled and how the multi-crop test runs. Read for every config, so a mistyped value fails at
 * load even when the input is images.
 *
 * @param stride {@code stride}: frames between sampled frames (default 1)
 * @param minResize {@code min_resize}: the shorter side before cropping; empty for the default
 *     derived from the crop size
 * @param numTestClips {@code num_test_clips}: clips per video in the multi-crop test (default 1)
 * @param threeSpatialCrops {@code do_three_spatial_crops}: three crops per clip in the test
 * @param multicropTest {@code do_multicrop_test}: run the multi-crop test
 * @param logTestEpochs {@code log_test_epochs}: epochs between multi-crop tests; empty for the end
 *     of training only
 */
public record VideoDatasetConfig(
    int stride,
    OptionalInt minResize,
    int numTestClips,
    boolean threeSpatialCrops,
    boolean multicropTest,
    OptionalDouble logTestEpochs) {

  /** Keys read under {@code dataset_configs}. */
  static final Set<String> KEYS =
      Set.of(
          "stride",
          "min_resize",
          "num_test_clips",
          "do_three_spatial_crops",
          "do_multicrop_test",
          "log_test_epochs");

  /**
   * Validates the fields.
   *
   * @throws ConfigValueException naming the key of a value out of range
   */
  public VideoDatasetConfig {
    if (minResize == null || logTestEpochs == null) {
      throw new IllegalArgumentException("video dataset fields must not be null");
    }
    positive("stride", stride);
    positive("num_test_clips", numTestClips);
    if (minResize.isPresent()) {
      positive("min_resize", minResize.getAsInt());
    }
    if (logTestEpochs.isPresent() && !(logTestEpochs.getAsDouble() > 0)) {
      throw new ConfigValueException(
          "log_test_epochs", "expected a positive number, found " + logTestEpochs.getAsDouble());
    }
  }

  private static void positive(String key, int v) {
    if (v <= 0) {
      throw new ConfigValueException(key, "must be positive, got " + v);
    }
  }

  /** Scenic's defaults: stride 1, one test clip, no spatial crops, no multi-crop test. */
  public static VideoDatasetConfig defaults() {
    return new VideoDatasetConfig(1, OptionalInt.empty(), 1, false, false, OptionalDouble.empty());
  }

  /** Reads the keys under {@code dataset_configs} (marking them as used). */
  static VideoDatasetConfig read(ConfigNode d) {
    int stride = d.intOr("stride", 1);
    OptionalInt minResize = d.optInt("min_resize");
    int clips = d.intOr("num_test_clips", 1);
    boolean three = d.boolOr("do_three_spatial_crops", false);
    boolean multicrop = d.boolOr("do_multicrop_test", false);
    OptionalDouble logTest = d.optDouble("log_test_epochs");
    return d.construct(
        () -> new VideoDatasetConfig(stride, minResize, clips, three, multicrop, logTest));
  }
}
