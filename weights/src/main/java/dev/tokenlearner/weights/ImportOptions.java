package dev.tokenlearner.weights;

/**
 * How {@link WeightImporter} bends a checkpoint onto a model. With every flag off (see {@link
 * #strict()}) the checkpoint must name exactly the model's parameters with their shapes.
 *
 * @param dropHead skip the checkpoint's {@code output_projection} and keep the model's fresh (zero)
 *     head, as when fine-tuning on a dataset with other classes
 * @param resizePosEmbedding when {@code Transformer/posembed_input/pos_embedding} has another
 *     length than the model's token grid, adapt it as Scenic's {@code init_posemb} does: drop a
 *     class-token row, then resize the square grid bilinearly ({@link PositionEmbeddings})
 * @param ignoreClassTokenAndPreLogits ignore the checkpoint's {@code cls} and {@code pre_logits}
 *     parameters when the model has none (a ViT {@code .npz} with a {@code token} classifier or a
 *     representation layer)
 * @param allowInitFromVit accept a checkpoint that holds no TokenLearner or TokenFuser parameters
 *     at all for a model that has them; those parameters are then freshly initialised and listed in
 *     the import's warnings
 * @param initSeed seed of the fresh initial values (head, TokenLearner) a non-strict import keeps
 */
public record ImportOptions(
    boolean dropHead,
    boolean resizePosEmbedding,
    boolean ignoreClassTokenAndPreLogits,
    boolean allowInitFromVit,
    long initSeed) {

  /** Seed used by {@link #strict()} and {@link #initFromVit()}. */
  public static final long INIT_SEED_DEFAULT = 0L;

  /**
   * Exact import: every parameter must be present with the model's shape, nothing extra.
   *
   * @return options with every flag off
   */
  public static ImportOptions strict() {
    return new ImportOptions(false, false, false, false, INIT_SEED_DEFAULT);
  }

  /**
   * What initialising a TokenLearner model from a ViT checkpoint needs: resized position embedding,
   * no {@code cls}/{@code pre_logits}, fresh TokenLearner parameters; the head is kept when its
   * shape fits (set {@link Builder#dropHead(boolean)} for new classes).
   *
   * @return options for ViT initialisation
   */
  public static ImportOptions initFromVit() {
    return new ImportOptions(false, true, true, true, INIT_SEED_DEFAULT);
  }

  /**
   * A builder starting from these options.
   *
   * @return the builder
   */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Sets some flags of a copy of {@link ImportOptions}; the rest stay as they were. */
  public static final class Builder {
    private boolean dropHead;
    private boolean resizePosEmbedding;
    private boolean ignoreClassTokenAndPreLogits;
    private boolean allowInitFromVit;
    private long initSeed;

    private Builder(ImportOptions o) {
      dropHead = o.dropHead;
      resizePosEmbedding = o.resizePosEmbedding;
      ignoreClassTokenAndPreLogits = o.ignoreClassTokenAndPreLogits;
      allowInitFromVit = o.allowInitFromVit;
      initSeed = o.initSeed;
    }

    /**
     * Sets {@code dropHead}.
     *
     * @param value the flag
     * @return this builder
     */
    public Builder dropHead(boolean value) {
      dropHead = value;
      return this;
    }

    /**
     * Sets {@code resizePosEmbedding}.
     *
     * @param value the flag
     * @return this builder
     */
    public Builder resizePosEmbedding(boolean value) {
      resizePosEmbedding = value;
      return this;
    }

    /**
     * Sets {@code ignoreClassTokenAndPreLogits}.
     *
     * @param value the flag
     * @return this builder
     */
    public Builder ignoreClassTokenAndPreLogits(boolean value) {
      ignoreClassTokenAndPreLogits = value;
      return this;
    }

    /**
     * Sets {@code allowInitFromVit}.
     *
     * @param value the flag
     * @return this builder
     */
    public Builder allowInitFromVit(boolean value) {
      allowInitFromVit = value;
      return this;
    }

    /**
     * Sets the seed for fresh parameters.
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder initSeed(long seed) {
      initSeed = seed;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     */
    public ImportOptions build() {
      return new ImportOptions(
          dropHead, resizePosEmbedding, ignoreClassTokenAndPreLogits, allowInitFromVit, initSeed);
    }
  }
}
