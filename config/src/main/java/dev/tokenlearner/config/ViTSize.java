package dev.tokenlearner.config;

/**
 * The standard ViT sizes, as in Scenic's {@code im1k_token_learner_config.py} tables. This enum is
 * the one place those numbers live.
 *
 * <table>
 *   <caption>ViT sizes</caption>
 *   <tr><th>size</th><th>hidden_size</th><th>num_heads</th><th>mlp_dim</th><th>num_layers</th></tr>
 *   <tr><td>Ti</td><td>192</td><td>3</td><td>768</td><td>12</td></tr>
 *   <tr><td>S</td><td>384</td><td>6</td><td>1536</td><td>12</td></tr>
 *   <tr><td>B</td><td>768</td><td>12</td><td>3072</td><td>12</td></tr>
 *   <tr><td>L</td><td>1024</td><td>16</td><td>4096</td><td>24</td></tr>
 *   <tr><td>H</td><td>1280</td><td>16</td><td>5120</td><td>32</td></tr>
 * </table>
 */
public enum ViTSize implements ScenicNamed {
  /** Tiny. */
  TI("Ti", 192, 3, 768, 12),
  /** Small. */
  S("S", 384, 6, 1536, 12),
  /** Base. */
  B("B", 768, 12, 3072, 12),
  /** Large. */
  L("L", 1024, 16, 4096, 24),
  /** Huge. */
  H("H", 1280, 16, 5120, 32);

  private final String scenicName;
  private final int hiddenSize;
  private final int numHeads;
  private final int mlpDim;
  private final int numLayers;

  ViTSize(String scenicName, int hiddenSize, int numHeads, int mlpDim, int numLayers) {
    this.scenicName = scenicName;
    this.hiddenSize = hiddenSize;
    this.numHeads = numHeads;
    this.mlpDim = mlpDim;
    this.numLayers = numLayers;
  }

  /**
   * Returns the name used in variant strings.
   *
   * @return {@code "Ti"}, {@code "S"}, {@code "B"}, {@code "L"} or {@code "H"}
   */
  @Override
  public String scenicName() {
    return scenicName;
  }

  /**
   * Returns {@code model.hidden_size} of this size.
   *
   * @return the hidden size D
   */
  public int hiddenSize() {
    return hiddenSize;
  }

  /**
   * Returns {@code model.num_heads} of this size.
   *
   * @return the number of attention heads
   */
  public int numHeads() {
    return numHeads;
  }

  /**
   * Returns {@code model.mlp_dim} of this size.
   *
   * @return the MLP width
   */
  public int mlpDim() {
    return mlpDim;
  }

  /**
   * Returns {@code model.num_layers} of this size.
   *
   * @return the number of encoder blocks
   */
  public int numLayers() {
    return numLayers;
  }

  /**
   * Looks a size up by its name (case-sensitive, as in Scenic: {@code "Ti"}, not {@code "TI"}).
   *
   * @param name the size name
   * @return the size
   * @throws dev.tokenlearner.core.InvalidInputException if the name is unknown
   */
  public static ViTSize fromScenicName(String name) {
    return ScenicNames.lookup(values(), name, "ViT size");
  }
}
