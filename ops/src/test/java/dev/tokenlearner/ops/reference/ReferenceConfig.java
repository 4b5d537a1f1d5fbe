package dev.tokenlearner.ops.reference;

import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * The model settings the reference {@code TokenLearnerViT} forward pass needs, named after Scenic's
 * config keys ({@code model.*}, {@code model.tokenizer.*}).
 *
 * @param hidden {@code hidden_size} D
 * @param heads {@code num_heads} H (must divide D)
 * @param mlp {@code mlp_dim} M
 * @param layers {@code num_layers} L
 * @param tokenizerType {@code tokenizer.type}: {@code patch}, {@code dynamic} or {@code video}
 * @param patchSize {@code tokenizer.patches.size}: {@code [fh, fw]}, or {@code [fh, fw, ft]} for
 *     video {@code 3d_conv} (Scenic's order: time last)
 * @param numTokens {@code tokenizer.num_tokens} K
 * @param loc {@code tokenizer.tokenlearner_loc}
 * @param useFuser {@code tokenizer.use_tokenfuse}
 * @param useV11 {@code tokenizer.use_v11}
 * @param classifier {@code gap}, {@code gmp} or {@code gsp}
 * @param representationSize {@code representation_size}, or {@code null} for no {@code pre_logits}
 * @param temporalMethod {@code temporal_encoding_config.method} ({@code 3d_conv} or {@code
 *     temporal_sampling}) for video, else {@code null}
 * @param nSampledFrames {@code temporal_encoding_config.n_sampled_frames} for {@code
 *     temporal_sampling}, else ignored
 */
public record ReferenceConfig(
    int hidden,
    int heads,
    int mlp,
    int layers,
    String tokenizerType,
    int[] patchSize,
    int numTokens,
    int loc,
    boolean useFuser,
    boolean useV11,
    String classifier,
    Integer representationSize,
    String temporalMethod,
    int nSampledFrames) {

  private static final Set<String> TOKENIZERS = Set.of("patch", "dynamic", "video");
  private static final Set<String> CLASSIFIERS = Set.of("gap", "gmp", "gsp");
  private static final Set<String> TEMPORAL = Set.of("3d_conv", "temporal_sampling");

  /** Validates the combination of settings. */
  public ReferenceConfig {
    Objects.requireNonNull(tokenizerType, "tokenizerType");
    Objects.requireNonNull(patchSize, "patchSize");
    Objects.requireNonNull(classifier, "classifier");
    if (hidden <= 0 || heads <= 0 || hidden % heads != 0) {
      throw new IllegalArgumentException(
          "hidden " + hidden + " must be a positive multiple of heads " + heads);
    }
    if (!TOKENIZERS.contains(tokenizerType)) {
      throw new IllegalArgumentException("unknown tokenizer type " + tokenizerType);
    }
    if (!CLASSIFIERS.contains(classifier)) {
      throw new IllegalArgumentException("unknown classifier " + classifier);
    }
    boolean conv3d = tokenizerType.equals("video") && "3d_conv".equals(temporalMethod);
    if (patchSize.length != (conv3d ? 3 : 2)) {
      throw new IllegalArgumentException(
          "patch size "
              + Arrays.toString(patchSize)
              + " must have "
              + (conv3d ? 3 : 2)
              + " entries for tokenizer "
              + tokenizerType);
    }
    if (tokenizerType.equals("video")) {
      if (!TEMPORAL.contains(temporalMethod)) {
        throw new IllegalArgumentException("unknown temporal method " + temporalMethod);
      }
      if (temporalMethod.equals("temporal_sampling") && nSampledFrames <= 0) {
        throw new IllegalArgumentException(
            "temporal_sampling needs n_sampled_frames > 0, got " + nSampledFrames);
      }
    }
    patchSize = patchSize.clone();
  }

  /**
   * Head dimension {@code D / H}.
   *
   * @return the per-head width
   */
  public int headDim() {
    return hidden / heads;
  }

  /**
   * Whether TokenLearner modules can exist (tokenizer {@code dynamic} or {@code video}).
   *
   * @return true when the tokenizer learns tokens
   */
  public boolean learnsTokens() {
    return !tokenizerType.equals("patch");
  }

  @Override
  public int[] patchSize() {
    return patchSize.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReferenceConfig c
        && hidden == c.hidden
        && heads == c.heads
        && mlp == c.mlp
        && layers == c.layers
        && tokenizerType.equals(c.tokenizerType)
        && Arrays.equals(patchSize, c.patchSize)
        && numTokens == c.numTokens
        && loc == c.loc
        && useFuser == c.useFuser
        && useV11 == c.useV11
        && classifier.equals(c.classifier)
        && Objects.equals(representationSize, c.representationSize)
        && Objects.equals(temporalMethod, c.temporalMethod)
        && nSampledFrames == c.nSampledFrames;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        hidden,
        heads,
        mlp,
        layers,
        tokenizerType,
        Arrays.hashCode(patchSize),
        numTokens,
        loc,
        useFuser,
        useV11,
        classifier,
        representationSize,
        temporalMethod,
        nSampledFrames);
  }

  @Override
  public String toString() {
    return "ReferenceConfig[hidden="
        + hidden
        + ", heads="
        + heads
        + ", mlp="
        + mlp
        + ", layers="
        + layers
        + ", tokenizer="
        + tokenizerType
        + ", patch="
        + Arrays.toString(patchSize)
        + ", numTokens="
        + numTokens
        + ", loc="
        + loc
        + ", fuser="
        + useFuser
        + ", v11="
        + useV11
        + ", classifier="
        + classifier
        + ", representationSize="
        + representationSize
        + ", temporal="
        + temporalMethod
        + ", nSampledFrames="
        + nSampledFrames
        + "]";
  }
}
