package dev.tokenlearner.config;

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
}
