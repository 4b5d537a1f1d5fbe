package dev.tokenlearner.config;

import java.util.Optional;
import java.util.Set;

/**
 * Scenic's {@code mixup} block ({@code dataset_utils.mixup} as its classification trainers apply it
 * in {@code train_step}): each training batch is mixed with itself reversed along the batch axis,
 * {@code x = lam * x + (1 - lam) * x[::-1]}, and so are its one-hot labels, with one {@code lam ~
 * Beta(alpha, alpha)} per batch.
 *
 * @param alpha {@code mixup.alpha}: the Beta distribution's parameter; positive (an absent block, a
 *     null or zero {@code alpha} turns mixup off, as in Scenic)
 * @param perReplica each data-parallel replica draws its own {@code lam} (Scenic's default {@code
 *     bind_to: device}, and {@code host}, the same here with one replica per process); false for an
 *     explicit {@code bind_to: null}, with which Scenic uses one {@code lam} on every device
 */
public record MixupConfig(double alpha, boolean perReplica) {

  /** The config block's key. */
  public static final String KEY = "mixup";

  /** Keys read under {@value #KEY}. */
  static final Set<String> KEYS = Set.of("alpha", "bind_to", "image_format");

  /** Values of {@code bind_to} this trainer implements (one replica per process, so the same). */
  static final Set<String> BIND_TO = Set.of("device", "host");

  /**
   * Validates the field.
   *
   * @throws IllegalArgumentException naming {@code mixup.alpha} if it is not positive and finite
   */
  public MixupConfig {
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException(
          KEY + ".alpha must be a positive number (0 or absent turns mixup off), got " + alpha);
    }
  }

  /** Reads the block under a config's root node (marking its keys as used). */
  static Optional<MixupConfig> read(ConfigNode root) {
    Optional<ConfigNode> node = root.child(KEY);
    if (node.isEmpty()) {
      return Optional.empty();
    }
    ConfigNode n = node.get();
    n.requireKnownKeys(KEYS);
    boolean sharedLambda = n.contains("bind_to") && !n.has("bind_to");
    Optional<String> bindTo = n.optString("bind_to");
    if (bindTo.isPresent() && !BIND_TO.contains(bindTo.get())) {
      throw n.error(
          "bind_to",
          "unknown value '"
              + bindTo.get()
              + "'; expected 'device' or 'host' (one lambda per replica) or null (one for all)");
    }
    Optional<String> format = n.optString("image_format");
    if (format.isPresent() && !format.get().startsWith("N")) {
      throw n.error(
          "image_format",
          "'" + format.get() + "': batches here are batch-major (NHWC, or NTHWC for video)");
    }
    double alpha = n.optDouble("alpha").orElse(0);
    if (alpha == 0) {
      return Optional.empty();
    }
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw n.error("alpha", "must be a positive number (0 turns mixup off), got " + alpha);
    }
    return Optional.of(new MixupConfig(alpha, !sharedLambda));
  }
}
