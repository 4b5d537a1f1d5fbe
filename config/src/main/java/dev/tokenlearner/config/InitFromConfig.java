package dev.tokenlearner.config;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Scenic's {@code init_from} block: start training from another checkpoint's parameters
 * (fine-tuning), as Scenic's trainers do when {@code init_from.checkpoint_path} is set.
 *
 * @param checkpointPath {@code checkpoint_path}: a checkpoint file or directory in any form the
 *     toolkit reads (Flax msgpack, Orbax, a directory of {@code checkpoint_<step>}), or a ViT
 *     {@code .npz}
 * @param restorePositionalEmbedding {@code restore_positional_embedding} (default true): take
 *     {@code Transformer/posembed_input/pos_embedding} from the checkpoint, adapted to the model's
 *     token count; false keeps the model's fresh one
 * @param positionalEmbedSizeChange {@code positional_embed_size_change}: how a position embedding
 *     of another length is adapted: {@code resize} (bilinear, per spatial grid), {@code tile}
 *     (repeat over frames) or {@code resize_tile} (resize to one frame's grid, then tile); default
 *     {@code resize}
 * @param restoreInputEmbedding {@code restore_input_embedding} (default true): take {@code
 *     embedding} from the checkpoint; a 2-D kernel is inflated over time for a {@code 3d_conv}
 *     video model with {@code kernel_init_method}
 * @param checkpointFormat {@code checkpoint_format} ({@code scenic} or {@code big_vision}); the
 *     reader is chosen from the files on disk, so this is informational
 */
public record InitFromConfig(
    String checkpointPath,
    boolean restorePositionalEmbedding,
    String positionalEmbedSizeChange,
    boolean restoreInputEmbedding,
    Optional<String> checkpointFormat) {

  /** The config block's key. */
  public static final String KEY = "init_from";

  /** Values of {@code positional_embed_size_change}. */
  public static final List<String> SIZE_CHANGES = List.of("resize", "tile", "resize_tile");

  /** Values of {@code checkpoint_format}. */
  public static final List<String> FORMATS = List.of("scenic", "big_vision");

  /**
   * Keys read here, plus {@code model_config} (the source's model config, which Scenic consults
   * only for a class token; the shapes in the checkpoint tell the same here) and {@code xm}.
   */
  static final Set<String> KEYS =
      Set.of(
          "checkpoint_path",
          "restore_positional_embedding",
          "positional_embed_size_change",
          "restore_input_embedding",
          "checkpoint_format",
          "model_config",
          "xm");

  /** Validates the fields. */
  public InitFromConfig {
    if (checkpointPath == null || checkpointPath.isBlank()) {
      throw new IllegalArgumentException("init_from.checkpoint_path must be a non-empty path");
    }
    if (!SIZE_CHANGES.contains(positionalEmbedSizeChange)) {
      throw new IllegalArgumentException(
          "init_from.positional_embed_size_change must be one of "
              + SIZE_CHANGES
              + ", got '"
              + positionalEmbedSizeChange
              + "'");
    }
    if (checkpointFormat == null) {
      throw new IllegalArgumentException("checkpointFormat must not be null");
    }
  }

  /** Reads the block under a config's root node (marking its keys as used). */
  static Optional<InitFromConfig> read(ConfigNode root) {
    Optional<ConfigNode> node = root.child(KEY);
    if (node.isEmpty()) {
      return Optional.empty();
    }
    ConfigNode n = node.get();
    n.requireKnownKeys(KEYS);
    Optional<String> path = n.optString("checkpoint_path");
    if (path.isEmpty()) {
      return Optional.empty();
    }
    String change = n.optString("positional_embed_size_change").orElse("resize");
    if (!SIZE_CHANGES.contains(change)) {
      throw n.error(
          "positional_embed_size_change",
          "unknown value '" + change + "'; expected one of " + SIZE_CHANGES);
    }
    Optional<String> format = n.optString("checkpoint_format");
    if (format.isPresent() && !FORMATS.contains(format.get())) {
      throw n.error(
          "checkpoint_format", "unknown value '" + format.get() + "'; expected one of " + FORMATS);
    }
    return Optional.of(
        new InitFromConfig(
            path.get(),
            n.boolOr("restore_positional_embedding", true),
            change,
            n.boolOr("restore_input_embedding", true),
            format));
  }
}
