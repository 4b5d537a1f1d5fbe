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
   * shape fits (combine with {@link #withDropHead(boolean)} for new classes).
   *
   * @return options for ViT initialisation
   */
  public static ImportOptions initFromVit() {
    return new ImportOptions(false, true, true, true, INIT_SEED_DEFAULT);
  }

  /**
   * Returns a copy with {@code dropHead} set.
   *
   * @param value the new flag
   * @return the copy
   */
  public ImportOptions withDropHead(boolean value) {
    return new ImportOptions(
        value, resizePosEmbedding, ignoreClassTokenAndPreLogits, allowInitFromVit, initSeed);
  }

  /**
   * Returns a copy with {@code resizePosEmbedding} set.
   *
   * @param value the new flag
   * @return the copy
   */
  public ImportOptions withResizePosEmbedding(boolean value) {
    return new ImportOptions(
        dropHead, value, ignoreClassTokenAndPreLogits, allowInitFromVit, initSeed);
  }

  /**
   * Returns a copy with {@code ignoreClassTokenAndPreLogits} set.
   *
   * @param value the new flag
   * @return the copy
   */
  public ImportOptions withIgnoreClassTokenAndPreLogits(boolean value) {
    return new ImportOptions(dropHead, resizePosEmbedding, value, allowInitFromVit, initSeed);
  }

  /**
   * Returns a copy with {@code allowInitFromVit} set.
   *
   * @param value the new flag
   * @return the copy
   */
  public ImportOptions withAllowInitFromVit(boolean value) {
    return new ImportOptions(
        dropHead, resizePosEmbedding, ignoreClassTokenAndPreLogits, value, initSeed);
  }

  /**
   * Returns a copy with another seed for fresh parameters.
   *
   * @param seed the seed
   * @return the copy
   */
  public ImportOptions withInitSeed(long seed) {
    return new ImportOptions(
        dropHead, resizePosEmbedding, ignoreClassTokenAndPreLogits, allowInitFromVit, seed);
  }
}
