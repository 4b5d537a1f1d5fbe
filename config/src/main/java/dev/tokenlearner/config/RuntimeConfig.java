package dev.tokenlearner.config;

import dev.tokenlearner.core.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How the graphs run, beyond Scenic's keys: the top-level config keys {@code jit} and {@code
 * device}. Neither changes the numbers a model computes (XLA within float32 rounding).
 *
 * @param jit {@code jit}: compile the training step with XLA; empty ({@code jit: auto} or no key)
 *     lets the runtime choose ({@link #jitOr(boolean)})
 * @param device {@code device}: where the steps run
 */
public record RuntimeConfig(Optional<Boolean> jit, Device device) {

  /** Config key of the XLA switch. */
  public static final String JIT_KEY = "jit";

  /** Config key of the device choice. */
  public static final String DEVICE_KEY = "device";

  /** Where the steps run. */
  public enum Device {
    /** The CPU, even when a GPU is present. */
    CPU,
    /** The first GPU; fails at start when none can be used. */
    GPU,
    /** The first GPU when TensorFlow can use one, else the CPU. */
    AUTO;

    /**
     * Parses {@code cpu}, {@code gpu} or {@code auto} (any case).
     *
     * @param name the name
     * @return the device
     * @throws InvalidInputException naming the accepted values
     */
    public static Device parse(String name) {
      for (Device d : values()) {
        if (d.name().equalsIgnoreCase(name.trim())) {
          return d;
        }
      }
      throw new InvalidInputException(
          "unknown device '" + name + "'; expected one of cpu, gpu, auto");
    }

    /** The lower-case config value. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Checks for nulls. */
  public RuntimeConfig {
    if (jit == null || device == null) {
      throw new IllegalArgumentException("jit and device must not be null");
    }
  }

  /** No {@code jit} key and {@code device: auto}. */
  public static RuntimeConfig defaults() {
    return new RuntimeConfig(Optional.empty(), Device.AUTO);
  }

  /** Reads {@code jit} and {@code device} under a config's root (marking them as used). */
  static RuntimeConfig read(ConfigNode root) {
    // jit: auto is the absent key spelled out: the trainer chooses.
    Optional<Boolean> jit =
        root.isString(JIT_KEY, "auto") ? Optional.empty() : root.optBool(JIT_KEY);
    Device device = Device.AUTO;
    Optional<String> name = root.optString(DEVICE_KEY);
    if (name.isPresent()) {
      try {
        device = Device.parse(name.get());
      } catch (InvalidInputException e) {
        throw root.error(DEVICE_KEY, e.getMessage());
      }
    }
    return new RuntimeConfig(jit, device);
  }

  /**
   * Whether to compile with XLA.
   *
   * @param fallback the choice when the config has no {@code jit} key
   * @return the config's {@code jit}, else {@code fallback}
   */
  public boolean jitOr(boolean fallback) {
    return jit.orElse(fallback);
  }

  /**
   * The same config with {@code jit} and/or {@code device} replaced, e.g. from command-line flags;
   * the result is loaded again so it is validated as a file would be.
   *
   * @param cfg the config
   * @param jit the new {@code jit}, or empty to keep the config's
   * @param device the new {@code device}, or empty to keep the config's
   * @return the changed config
   */
  public static ExperimentConfig override(
      ExperimentConfig cfg, Optional<Boolean> jit, Optional<Device> device) {
    Map<String, Object> keys = new LinkedHashMap<>();
    jit.ifPresent(j -> keys.put(JIT_KEY, j));
    device.ifPresent(d -> keys.put(DEVICE_KEY, d.configName()));
    return ConfigLoader.withKeys(cfg, keys);
  }
}
