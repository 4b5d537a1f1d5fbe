package dev.tokenlearner.config;

/** How a video becomes tokens ({@code model.tokenizer.temporal_encoding_config.method}). */
public enum TemporalEncodingMethod implements ScenicNamed {
  /**
   * A 3-D patch convolution with kernel {@code [ft, fh, fw]}; patches.size is {@code [fh, fw, ft]}.
   */
  THREE_D_CONV("3d_conv"),
  /** Uniformly sampled frames stacked along the height, then a 2-D patch convolution. */
  TEMPORAL_SAMPLING("temporal_sampling");

  private final String scenicName;

  TemporalEncodingMethod(String scenicName) {
    this.scenicName = scenicName;
  }

  /**
   * Returns the config string Scenic uses.
   *
   * @return {@code "3d_conv"} or {@code "temporal_sampling"}
   */
  @Override
  public String scenicName() {
    return scenicName;
  }

  /**
   * Looks a method up by its Scenic name.
   *
   * @param name the config value, e.g. {@code "3d_conv"}
   * @return the method
   * @throws dev.tokenlearner.core.InvalidInputException if the name is not one of Scenic's
   */
  public static TemporalEncodingMethod fromScenicName(String name) {
    return ScenicNames.lookup(values(), name, "temporal encoding method");
  }

  @Override
  public String toString() {
    return scenicName;
  }
}
