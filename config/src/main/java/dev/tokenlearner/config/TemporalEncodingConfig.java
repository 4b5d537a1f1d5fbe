package dev.tokenlearner.config;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code model.tokenizer.temporal_encoding_config}: how a video tokenizer turns frames into tokens
 * (ViViT's {@code temporal_encode}).
 *
 * @param method {@code 3d_conv} or {@code temporal_sampling}
 * @param nSampledFrames {@code n_sampled_frames}; required for {@code temporal_sampling}
 * @param kernelInitMethod {@code kernel_init_method} ({@code central_frame_initializer} or {@code
 *     average_frame_initializer}); only matters when inflating a 2-D kernel, empty when unset
 */
public record TemporalEncodingConfig(
    TemporalEncodingMethod method, OptionalInt nSampledFrames, Optional<String> kernelInitMethod) {

  /** Kernel inflation methods Scenic's {@code init_embedding} knows. */
  public static final java.util.Set<String> KERNEL_INIT_METHODS =
      java.util.Set.of("central_frame_initializer", "average_frame_initializer");

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if {@code temporal_sampling} lacks a positive frame count or
   *     the kernel init method is unknown
   */
  public TemporalEncodingConfig {
    if (method == null || nSampledFrames == null || kernelInitMethod == null) {
      throw new IllegalArgumentException("temporal_encoding_config fields must not be null");
    }
    if (method == TemporalEncodingMethod.TEMPORAL_SAMPLING
        && (nSampledFrames.isEmpty() || nSampledFrames.getAsInt() <= 0)) {
      throw new IllegalArgumentException(
          "temporal_sampling needs n_sampled_frames > 0, got " + nSampledFrames);
    }
    if (kernelInitMethod.isPresent() && !KERNEL_INIT_METHODS.contains(kernelInitMethod.get())) {
      throw new IllegalArgumentException(
          "unknown kernel_init_method '"
              + kernelInitMethod.get()
              + "'; expected one of "
              + KERNEL_INIT_METHODS);
    }
  }

  /**
   * A {@code 3d_conv} encoding with no kernel inflation method.
   *
   * @return the config
   */
  public static TemporalEncodingConfig conv3d() {
    return new TemporalEncodingConfig(
        TemporalEncodingMethod.THREE_D_CONV, OptionalInt.empty(), Optional.empty());
  }

  /**
   * Number of frames {@code sample_frames_uniformly} keeps from a clip of {@code numFrames}, using
   * numpy's float {@code arange} length rule exactly as Scenic does.
   *
   * @param numFrames frames in the input clip (F)
   * @return the number of frames after sampling (equal to {@code n_sampled_frames} for usual
   *     inputs)
   */
  public int sampledFrameCount(int numFrames) {
    int s = nSampledFrames.orElseThrow();
    double start;
    double step;
    if (s < numFrames) {
      start = (double) numFrames / (s + 1);
      step = start;
    } else {
      start = 0;
      step = 1;
    }
    // numpy: len(arange(start, stop, step)) = ceil((stop - start) / step), in float64.
    return (int) Math.max(0, Math.ceil((numFrames - start) / step));
  }

  /** Keys read under {@code temporal_encoding_config}. */
  static final Set<String> KEYS = Set.of("method", "n_sampled_frames", "kernel_init_method");

  /** Reads {@code model.tokenizer.temporal_encoding_config} (marking its keys as used). */
  static TemporalEncodingConfig read(ConfigNode te) {
    te.requireKnownKeys(KEYS);
    if (!te.has("method")) {
      throw te.missing("method", "'3d_conv' or 'temporal_sampling'");
    }
    TemporalEncodingMethod method = te.enumValue("method", TemporalEncodingMethod.values());
    OptionalInt n = te.optInt("n_sampled_frames");
    if (method == TemporalEncodingMethod.TEMPORAL_SAMPLING) {
      if (n.isEmpty()) {
        throw te.missing("n_sampled_frames", "an integer, needed by temporal_sampling");
      }
      if (n.getAsInt() <= 0) {
        throw te.error("n_sampled_frames", "must be positive, got " + n.getAsInt());
      }
    }
    Optional<String> init = te.optString("kernel_init_method");
    if (init.isPresent() && !TemporalEncodingConfig.KERNEL_INIT_METHODS.contains(init.get())) {
      throw te.error(
          "kernel_init_method",
          "unknown value '"
              + init.get()
              + "'; expected one of "
              + TemporalEncodingConfig.KERNEL_INIT_METHODS);
    }
    return te.construct(() -> new TemporalEncodingConfig(method, n, init));
  }
}
