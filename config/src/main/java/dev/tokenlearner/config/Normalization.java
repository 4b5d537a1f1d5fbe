package dev.tokenlearner.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How pixel values {@code 0..255} become model inputs; config key {@code
 * preprocessing.normalization}.
 *
 * <p>Default when the key is absent: {@link #IMAGENET} if {@code dataset_name} mentions {@code
 * imagenet} (Scenic's ImageNet input pipeline), otherwise {@link #ZERO_CENTERED} (Scenic's video
 * pipelines and the original ViT models use {@code [-1, 1]}).
 */
public enum Normalization {
  /** {@code (x - 255*mean) / (255*std)} per channel with ImageNet's mean and std (RGB). */
  IMAGENET("imagenet"),
  /** {@code x / 127.5 - 1}, i.e. {@code [-1, 1]}. */
  ZERO_CENTERED("zero_centered"),
  /** The raw {@code 0..255} values as floats. */
  NONE("none"),
  /** {@code x / 255}, i.e. {@code [0, 1]} (Scenic's {@code fashion_mnist} and MNIST datasets). */
  UNIT("unit");

  /** The config section holding {@link #KEY}. */
  public static final String SECTION = "preprocessing";

  /** The key inside {@link #SECTION}. */
  public static final String KEY = "normalization";

  /** ImageNet's per-channel mean on {@code [0, 1]} (RGB), as in Scenic's imagenet dataset. */
  static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};

  /** ImageNet's per-channel standard deviation on {@code [0, 1]} (RGB). */
  static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

  private final String configName;

  Normalization(String configName) {
    this.configName = configName;
  }

  /**
   * Returns the name used in configs.
   *
   * @return e.g. {@code zero_centered}
   */
  public String configName() {
    return configName;
  }

  /**
   * Parses a config name.
   *
   * @param name {@code imagenet}, {@code zero_centered} or {@code none}
   * @return the normalisation
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Normalization fromConfigName(String name) {
    for (Normalization n : values()) {
      if (n.configName.equals(name)) {
        return n;
      }
    }
    throw new IllegalArgumentException(
        SECTION
            + "."
            + KEY
            + ": unknown value '"
            + name
            + "'; expected one of "
            + Arrays.stream(values()).map(Normalization::configName).toList());
  }

  /**
   * Reads {@code preprocessing.normalization} from a config, or the documented default.
   *
   * @param config the experiment config
   * @return the normalisation
   */
  public static Normalization of(ExperimentConfig config) {
    return config.normalization();
  }

  /**
   * The default when {@code preprocessing.normalization} is absent.
   *
   * @param datasetName the config's {@code dataset_name} (may be empty)
   * @return {@link #IMAGENET} for ImageNet datasets, {@link #UNIT} for {@code fashion_mnist} and
   *     {@code mnist} (Scenic scales them to {@code [0, 1]}), else {@link #ZERO_CENTERED}
   */
  public static Normalization defaultFor(String datasetName) {
    String n = datasetName.toLowerCase(Locale.ROOT);
    if (n.equals("fashion_mnist") || n.equals("mnist")) {
      return UNIT;
    }
    return n.contains("imagenet") ? IMAGENET : ZERO_CENTERED;
  }

  /**
   * Normalises one value.
   *
   * @param pixel a value in {@code 0..255}
   * @param channel the channel index (0 = R); only {@link #IMAGENET} uses it
   * @return the model input value
   */
  public float apply(double pixel, int channel) {
    return switch (this) {
      case IMAGENET -> {
        int c = channel % 3;
        yield (float) ((pixel - 255 * IMAGENET_MEAN[c]) / (255 * IMAGENET_STD[c]));
      }
      case ZERO_CENTERED -> (float) (pixel / 127.5 - 1.0);
      case NONE -> (float) pixel;
      case UNIT -> (float) (pixel / 255.0);
    };
  }

  /**
   * The value subtracted from a {@code 0..255} pixel: {@code apply(x, c) = (x - mean(c)) / std(c)}.
   * In-graph preprocessing uses this form.
   *
   * @param channel the channel index (0 = R)
   * @return the offset in pixel units
   */
  public double mean(int channel) {
    return switch (this) {
      case IMAGENET -> 255 * IMAGENET_MEAN[channel % 3];
      case ZERO_CENTERED -> 127.5;
      case NONE, UNIT -> 0.0;
    };
  }

  /**
   * The divisor of a centred pixel value; see {@link #mean}.
   *
   * @param channel the channel index (0 = R)
   * @return the scale in pixel units
   */
  public double std(int channel) {
    return switch (this) {
      case IMAGENET -> 255 * IMAGENET_STD[channel % 3];
      case ZERO_CENTERED -> 127.5;
      case NONE -> 1.0;
      case UNIT -> 255.0;
    };
  }

  @Override
  public String toString() {
    return configName;
  }

  /**
   * Reads {@code preprocessing.normalization}, or picks its default from {@code dataset_name}
   * ({@link Normalization#defaultFor}).
   */
  static Normalization read(ConfigNode root) {
    Optional<String> name =
        root.child(Normalization.SECTION).flatMap(p -> p.optString(Normalization.KEY));
    if (name.isEmpty()) {
      return Normalization.defaultFor(root.optString("dataset_name").orElse(""));
    }
    try {
      return Normalization.fromConfigName(name.get());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          root.source(),
          Normalization.SECTION + "." + Normalization.KEY,
          "unknown value '"
              + name.get()
              + "'; expected one of "
              + Arrays.stream(Normalization.values()).map(Normalization::configName).toList());
    }
  }
}
