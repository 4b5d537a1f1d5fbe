package dev.tokenlearner.graph;

/** Scenic's explicit module names in {@code TokenLearnerViT}; each is spelled here only. */
public final class Names {

  /** The patch/tubelet embedding conv. */
  public static final String EMBEDDING = "embedding";

  /** The encoder ({@code EncoderMod} / {@code EncoderModFuser}). */
  public static final String TRANSFORMER = "Transformer";

  /** The position embedding inside the encoder. */
  public static final String POSEMBED_INPUT = "posembed_input";

  /** Prefix of the encoder blocks, {@code encoderblock_i}. */
  public static final String ENCODER_BLOCK_PREFIX = "encoderblock_";

  /** The final LayerNorm of the encoder. */
  public static final String ENCODER_NORM = "encoder_norm";

  /** The optional representation layer (Dense + tanh). */
  public static final String PRE_LOGITS = "pre_logits";

  /** The classification head. */
  public static final String OUTPUT_PROJECTION = "output_projection";

  private Names() {}

  /** {@code encoderblock_i}. */
  public static String encoderBlock(int i) {
    return ENCODER_BLOCK_PREFIX + i;
  }
}
