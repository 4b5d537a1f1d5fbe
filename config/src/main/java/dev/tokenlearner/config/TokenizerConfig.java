package dev.tokenlearner.config;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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

  /** Keys read under {@code model.tokenizer}. */
  static final Set<String> KEYS =
      Set.of(
          "type",
          "patches",
          "num_tokens",
          "tokenlearner_loc",
          "use_tokenfuse",
          "use_v11",
          "temporal_encoding_config");

  /** Keys read under {@code model.tokenizer.patches}. */
  static final Set<String> PATCHES_KEYS = Set.of("size");

  /**
   * Reads {@code model.tokenizer} (marking its keys as used).
   *
   * @param t the tokenizer node
   * @param variant {@code model.variant}, for the default patch size
   * @param numLayers the encoder depth, the default {@code tokenlearner_loc} of a plain ViT
   * @param warnings receives conditions worth a look that are not errors
   */
  static TokenizerConfig read(
      ConfigNode t, Optional<Variant> variant, int numLayers, List<String> warnings) {
    t.requireKnownKeys(KEYS);
    if (!t.has("type")) {
      throw t.missing("type", "'patch', 'dynamic' or 'video'");
    }
    TokenizerType type = t.enumValue("type", TokenizerType.values());
    Optional<TemporalEncodingConfig> temporal = Optional.empty();
    if (type == TokenizerType.VIDEO) {
      ConfigNode te =
          t.child("temporal_encoding_config")
              .orElseThrow(() -> t.missing("temporal_encoding_config", "a mapping"));
      temporal = Optional.of(TemporalEncodingConfig.read(te));
    } else if (t.contains("temporal_encoding_config")) {
      warnings.add(t.key("temporal_encoding_config") + " is ignored for tokenizer '" + type + "'");
    }
    // TokenizerConfig checks the patch rank against the temporal encoding.
    int[] patch = patchSize(t, variant);

    boolean learns = type.learnsTokens();
    int numTokens;
    int loc;
    if (learns) {
      numTokens = t.optInt("num_tokens").orElseThrow(() -> t.missing("num_tokens", "an integer"));
      if (numTokens <= 0) {
        throw t.error("num_tokens", "must be positive, got " + numTokens);
      }
      loc =
          t.optInt("tokenlearner_loc")
              .orElseThrow(() -> t.missing("tokenlearner_loc", "an integer in [0, num_layers)"));
    } else {
      numTokens = t.intOr("num_tokens", 0);
      if (numTokens < 0) {
        throw t.error("num_tokens", "must be >= 0, got " + numTokens);
      }
      loc = t.intOr("tokenlearner_loc", numLayers);
    }
    if (loc < 0) {
      throw t.error("tokenlearner_loc", "must be in [0, num_layers), got " + loc);
    }
    boolean fuse = t.boolOr("use_tokenfuse", false);
    boolean v11 = t.boolOr("use_v11", true);
    if (learns && loc >= numLayers) {
      warnings.add(
          t.key("tokenlearner_loc")
              + " = "
              + loc
              + " >= num_layers "
              + numLayers
              + ": no TokenLearner is built and the model is a plain ViT (as in Scenic)");
    }
    if (!learns && fuse) {
      warnings.add(
          t.key("use_tokenfuse") + " has no effect with tokenizer 'patch' (no TokenLearner)");
    }
    Optional<TemporalEncodingConfig> te = temporal;
    return t.construct(() -> new TokenizerConfig(type, patch, numTokens, loc, fuse, v11, te));
  }

  private static int[] patchSize(ConfigNode t, Optional<Variant> variant) {
    Optional<ConfigNode> patches = t.child("patches");
    patches.ifPresent(p -> p.requireKnownKeys(PATCHES_KEYS));
    Optional<int[]> size = patches.flatMap(p -> p.optIntArray("size", false));
    String key = t.key("patches.size");
    int[] patch;
    if (size.isPresent()) {
      patch = size.get();
    } else if (variant.isPresent()) {
      int p = variant.get().patchSize();
      patch = new int[] {p, p};
    } else {
      throw new ConfigException(
          t.source(),
          key,
          "missing required key (a list [fh, fw]), or model.variant such as 'B/16'");
    }
    return patch;
  }
}
