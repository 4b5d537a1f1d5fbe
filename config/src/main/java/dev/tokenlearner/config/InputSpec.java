package dev.tokenlearner.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What the model sees and predicts: input image size (and frames for video) and the number of
 * classes. Sources, in order: the fixtures' {@code fixture.input_shape}, {@code
 * dataset_configs.image_size}, top-level {@code image_size}, {@code dataset_configs.crop_size},
 * else 224; frames from {@code dataset_configs.num_frames} or top-level {@code num_frames}; classes
 * from top-level {@code num_classes}, {@code dataset_configs.num_classes} or {@code
 * dataset_meta_data.num_classes}.
 *
 * @param height input height in pixels
 * @param width input width in pixels
 * @param channels input channels (3 for RGB)
 * @param numFrames frames per clip for video; 0 for images (no time axis)
 * @param numClasses output classes NC
 */
public record InputSpec(int height, int width, int channels, int numFrames, int numClasses) {

  /** Image side used when a config names none (ImageNet's 224). */
  public static final int IMAGE_SIZE_DEFAULT = 224;

  /** Input channels used when a config names none. */
  public static final int CHANNELS_DEFAULT = 3;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the offending field and value
   */
  public InputSpec {
    if (height <= 0 || width <= 0 || channels <= 0 || numFrames < 0 || numClasses <= 0) {
      throw new IllegalArgumentException(
          "input spec needs positive height, width, channels, num_classes and num_frames >= 0, got "
              + "height="
              + height
              + " width="
              + width
              + " channels="
              + channels
              + " num_frames="
              + numFrames
              + " num_classes="
              + numClasses);
    }
  }

  /**
   * Whether inputs have a time axis.
   *
   * @return true when {@code numFrames > 0}
   */
  public boolean isVideo() {
    return numFrames > 0;
  }

  /**
   * Returns the input tensor shape for a batch: NHWC, or NTHWC for video.
   *
   * @param batch the batch size (-1 for an unknown batch dimension)
   * @return {@code [batch, H, W, C]} or {@code [batch, T, H, W, C]}
   */
  public long[] shape(long batch) {
    return isVideo()
        ? new long[] {batch, numFrames, height, width, channels}
        : new long[] {batch, height, width, channels};
  }

  /** Datasets whose images are grey: their inputs have one channel. */
  static final Set<String> GREY_DATASETS = Set.of("fashion_mnist", "mnist");

  /** Keys read under {@code dataset_configs}. */
  static final Set<String> DATASET_KEYS =
      Set.of("image_size", "crop_size", "num_frames", "num_classes");

  /**
   * Reads the input size, frames and classes from their several sources under a config's root
   * (marking the keys read as used); sources that are present must agree.
   *
   * @param root the document's root node
   * @param model the model, whose tokenizer says whether the input is video
   */
  static InputSpec read(ConfigNode root, ModelConfig model) {
    String source = root.source();
    boolean video = model.tokenizer().type() == TokenizerType.VIDEO;
    Optional<ConfigNode> fixture = root.child("fixture");
    Optional<ConfigNode> dataset = root.child("dataset_configs");
    Optional<ConfigNode> meta = root.child("dataset_meta_data");

    List<Sourced> sizes = new ArrayList<>();
    List<Sourced> frames = new ArrayList<>();
    int channels = InputSpec.CHANNELS_DEFAULT;
    if (fixture.isPresent()) {
      ConfigNode f = fixture.get();
      Optional<int[]> shape = f.optIntArray("input_shape", false);
      if (shape.isPresent()) {
        int[] s = shape.get();
        String key = f.key("input_shape");
        if (s.length != (video ? 5 : 4)) {
          throw new ConfigException(
              source,
              key,
              "expected "
                  + (video ? "[B, T, H, W, C] for tokenizer 'video'" : "[B, H, W, C]")
                  + ", found "
                  + Arrays.toString(s));
        }
        int off = video ? 2 : 1;
        sizes.add(new Sourced(key, new int[] {s[off], s[off + 1]}));
        if (video) {
          frames.add(new Sourced(key, new int[] {s[1]}));
        }
        channels = s[s.length - 1];
      }
    }
    if (fixture.isEmpty() && GREY_DATASETS.contains(root.optString("dataset_name").orElse(""))) {
      channels = 1; // Scenic's MNIST-style datasets are [28, 28, 1]
    }
    dataset.ifPresent(d -> addSize(sizes, d, "image_size"));
    addSize(sizes, root, "image_size");
    dataset.ifPresent(d -> addSize(sizes, d, "crop_size"));
    int[] hw =
        agree(source, sizes, "input size")
            .orElse(new int[] {InputSpec.IMAGE_SIZE_DEFAULT, InputSpec.IMAGE_SIZE_DEFAULT});

    int numFrames = 0;
    if (video) {
      dataset.ifPresent(d -> addScalar(frames, d, "num_frames"));
      addScalar(frames, root, "num_frames");
      numFrames =
          agree(source, frames, "num_frames")
              .orElseThrow(
                  () ->
                      new ConfigException(
                          source,
                          "dataset_configs.num_frames",
                          "missing required key (an integer) for tokenizer 'video'"))[0];
    }

    List<Sourced> classes = new ArrayList<>();
    addScalar(classes, root, "num_classes");
    dataset.ifPresent(d -> addScalar(classes, d, "num_classes"));
    meta.ifPresent(d -> addScalar(classes, d, "num_classes"));
    int numClasses =
        agree(source, classes, "num_classes")
            .orElseThrow(
                () ->
                    new ConfigException(
                        source,
                        "num_classes",
                        "missing required key (an integer; also accepted as "
                            + "dataset_configs.num_classes or dataset_meta_data.num_classes)"))[0];
    for (Sourced s : classes) {
      if (s.value[0] <= 0) {
        throw new ConfigException(source, s.key, "must be positive, got " + s.value[0]);
      }
    }
    for (Sourced s : sizes) {
      if (s.value[0] <= 0 || s.value[1] <= 0) {
        throw new ConfigException(
            source, s.key, "image size must be positive, got " + Arrays.toString(s.value));
      }
    }
    if (video && numFrames <= 0) {
      throw new ConfigException(
          source, frames.get(0).key, "num_frames must be positive, got " + numFrames);
    }
    if (channels <= 0) {
      throw new ConfigException(source, "fixture.input_shape", "channels must be positive");
    }
    int c = channels;
    int t = numFrames;
    return root.construct(() -> new InputSpec(hw[0], hw[1], c, t, numClasses));
  }

  /** A value and the key it came from, to report disagreements between sources. */
  private record Sourced(String key, int[] value) {}

  private static void addSize(List<Sourced> out, ConfigNode n, String name) {
    Optional<int[]> v = n.optIntArray(name, true);
    if (v.isEmpty()) {
      return;
    }
    int[] a = v.get();
    int[] hw;
    if (a.length == 1) {
      hw = new int[] {a[0], a[0]};
    } else if (a.length == 2 || a.length == 3) {
      hw = new int[] {a[0], a[1]}; // [H, W] or [H, W, C]
    } else {
      throw n.error(name, "expected an integer, [H, W] or [H, W, C], found " + Arrays.toString(a));
    }
    out.add(new Sourced(n.key(name), hw));
  }

  private static void addScalar(List<Sourced> out, ConfigNode n, String name) {
    OptionalInt v = n.optInt(name);
    if (v.isPresent()) {
      out.add(new Sourced(n.key(name), new int[] {v.getAsInt()}));
    }
  }

  private static Optional<int[]> agree(String source, List<Sourced> values, String what) {
    if (values.isEmpty()) {
      return Optional.empty();
    }
    Sourced first = values.get(0);
    for (Sourced s : values) {
      if (!Arrays.equals(s.value, first.value)) {
        throw new ConfigException(
            source,
            s.key,
            what
                + " "
                + Arrays.toString(s.value)
                + " disagrees with "
                + first.key
                + " "
                + Arrays.toString(first.value));
      }
    }
    return Optional.of(first.value);
  }

  // ---------------------------------------------------------------- training

  // ---------------------------------------------------------------- helpers
}
