package dev.tokenlearner.config;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code model.tokenizer}: the stem and where the TokenLearner sits.
 *
 * @param type {@code patch}, {@code dynamic} or {@code video}
 * @param patchSize {@code patches.size}: {@code [fh, fw]}, or {@code [fh, fw, ft]} for video with
 *     {@code 3d_conv} (Scenic's order: time last)
 * @param numTokens {@code num_tokens} K learned per frame; 0 only for {@code patch}
 * @param tokenlearnerLoc {@code tokenlearner_loc}: the encoder block the TokenLearner precedes;
 *     values {@code >= num_layers} leave a plain ViT
 * @param useTokenfuse {@code use_tokenfuse}: TokenLearner + TokenFuser around every block from
 *     {@code tokenlearner_loc} on
 * @param useV11 {@code use_v11}: the MLP TokenLearner (v1.1) rather than the conv one (v1);
 *     Scenic's default is true
 * @param temporalEncoding {@code temporal_encoding_config}; present exactly for {@code video}
 */
public record TokenizerConfig(
    TokenizerType type,
    int[] patchSize,
    int numTokens,
    int tokenlearnerLoc,
    boolean useTokenfuse,
    boolean useV11,
    Optional<TemporalEncodingConfig> temporalEncoding) {

  /**
   * Validates the fields and copies the patch size.
   *
   * @throws IllegalArgumentException naming the offending field
   */
  public TokenizerConfig {
    if (type == null || patchSize == null || temporalEncoding == null) {
      throw new IllegalArgumentException("tokenizer fields must not be null");
    }
    patchSize = patchSize.clone();
    boolean conv3d =
        temporalEncoding.map(t -> t.method() == TemporalEncodingMethod.THREE_D_CONV).orElse(false);
    int rank = conv3d ? 3 : 2;
    if (patchSize.length != rank) {
      throw new ConfigValueException(
          "patches.size",
          "expected "
              + (conv3d ? "[fh, fw, ft] for 3d_conv" : "[fh, fw]")
              + ", found "
              + Arrays.toString(patchSize));
    }
    for (int p : patchSize) {
      if (p <= 0) {
        throw new ConfigValueException(
            "patches.size", "entries must be positive, found " + Arrays.toString(patchSize));
      }
    }
    if (type == TokenizerType.VIDEO && temporalEncoding.isEmpty()) {
      throw new IllegalArgumentException("tokenizer 'video' needs temporal_encoding_config");
    }
    if (type != TokenizerType.VIDEO && temporalEncoding.isPresent()) {
      throw new IllegalArgumentException(
          "temporal_encoding_config is only read for tokenizer 'video', not '" + type + "'");
    }
    if (type.learnsTokens() ? numTokens <= 0 : numTokens < 0) {
      throw new IllegalArgumentException(
          "num_tokens must be positive for tokenizer '" + type + "', got " + numTokens);
    }
    if (tokenlearnerLoc < 0) {
      throw new IllegalArgumentException(
          "tokenlearner_loc must be in [0, num_layers), got " + tokenlearnerLoc);
    }
  }

  /**
   * Returns a copy of {@code patches.size}.
   *
   * @return {@code [fh, fw]} or {@code [fh, fw, ft]}
   */
  @Override
  public int[] patchSize() {
    return patchSize.clone();
  }

  /**
   * Returns the patch height fh.
   *
   * @return {@code patches.size[0]}
   */
  public int patchH() {
    return patchSize[0];
  }

  /**
   * Returns the patch width fw.
   *
   * @return {@code patches.size[1]}
   */
  public int patchW() {
    return patchSize[1];
  }

  /**
   * Returns the temporal patch size ft.
   *
   * @return {@code patches.size[2]} for {@code 3d_conv}, else 1
   */
  public int patchT() {
    return patchSize.length == 3 ? patchSize[2] : 1;
  }

  /**
   * Returns a copy with another TokenLearner location.
   *
   * @param loc the new {@code tokenlearner_loc}
   * @return the copy
   */
  public TokenizerConfig withTokenlearnerLoc(int loc) {
    return new TokenizerConfig(
        type, patchSize, numTokens, loc, useTokenfuse, useV11, temporalEncoding);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenizerConfig t
        && type == t.type
        && Arrays.equals(patchSize, t.patchSize)
        && numTokens == t.numTokens
        && tokenlearnerLoc == t.tokenlearnerLoc
        && useTokenfuse == t.useTokenfuse
        && useV11 == t.useV11
        && temporalEncoding.equals(t.temporalEncoding);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, numTokens, tokenlearnerLoc, useTokenfuse, useV11, temporalEncoding)
            * 31
        + Arrays.hashCode(patchSize);
  }

  @Override
  public String toString() {
    return "TokenizerConfig[type="
        + type
        + ", patchSize="
        + Arrays.toString(patchSize)
        + ", numTokens="
        + numTokens
        + ", tokenlearnerLoc="
        + tokenlearnerLoc
        + ", useTokenfuse="
        + useTokenfuse
        + ", useV11="
        + useV11
        + ", temporalEncoding="
        + temporalEncoding
        + "]";
  }
}
