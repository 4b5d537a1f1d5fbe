package dev.tokenlearner.config;

/**
 * A ViT variant string such as {@code "B/16"}: a {@link ViTSize} and a square patch size. In a
 * config, {@code model.variant} fills {@code hidden_size}, {@code num_heads}, {@code mlp_dim},
 * {@code num_layers} and {@code tokenizer.patches.size}; keys given explicitly win.
 *
 * @param size the model size
 * @param patchSize the patch side in pixels
 */
public record Variant(ViTSize size, int patchSize) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if the size is null or the patch size is not positive
   */
  public Variant {
    if (size == null) {
      throw new IllegalArgumentException("variant size must not be null");
    }
    if (patchSize <= 0) {
      throw new IllegalArgumentException("variant patch size must be positive, got " + patchSize);
    }
  }

  /**
   * Parses {@code "<size>/<patch>"}, e.g. {@code "B/16"} or {@code "Ti/16"}.
   *
   * @param text the variant string
   * @return the variant
   * @throws IllegalArgumentException if the string is not of that form
   */
  public static Variant parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException(
          "variant '" + text + "' is not of the form '<size>/<patch>', e.g. 'B/16'");
    }
    ViTSize size = ViTSize.fromScenicName(text.substring(0, slash));
    int patch;
    try {
      patch = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "variant '" + text + "' has a patch size that is not an integer", e);
    }
    return new Variant(size, patch);
  }

  @Override
  public String toString() {
    return size.scenicName() + "/" + patchSize;
  }
}
