package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Scenic's {@code TokenFuser}: maps learned tokens back onto the original token grid.
 *
 * <pre>{@code
 * t = fuser_mix_norm2(Dense_0 over the token axis(fuser_mix_norm1(tokens)))   // [b, K, D]
 * mix = sigmoid(token_masking(LayerNorm_0(original)))                         // [b, S, K]
 * out[b, s, d] = Σ_k mix[b, s, k] · t[b, k, d]                                // [b, S, D]
 * }</pre>
 *
 * The caller adds the residual ({@code original}) afterwards, as Scenic's encoder does.
 *
 * <ul>
 *   <li>Parameters: {@code fuser_mix_norm1} and {@code fuser_mix_norm2 {scale,bias} [D]}, {@code
 *       Dense_0/kernel [K, K]} (zeros in Scenic), {@code Dense_0/bias [K]}, {@code LayerNorm_0}
 *       {@code [D]}, {@code token_masking/Dense_0 [D, bottleneck]}, {@code token_masking/Dense_1
 *       [bottleneck, K]}
 *   <li>Inputs: tokens {@code [b, K, D]}, original {@code [b, S, D]} or {@code [b, h, w, D]}
 *   <li>Output: {@code [b, S, D]}
 * </ul>
 *
 * @param bottleneckDim width of the mix MLP (Scenic: 64)
 * @param dropoutRate dropout in the mix MLP and on the output (training only)
 */
public record TokenFuser(int bottleneckDim, float dropoutRate) implements FlaxModule {

  /** Flax's class name, the prefix of auto-named instances. */
  public static final String NAME = "TokenFuser";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** Scenic's default bottleneck width. */
  public static final int BOTTLENECK_DIM_DEFAULT = 64;

  /** Checks the size. */
  public TokenFuser {
    if (bottleneckDim <= 0) {
      throw new IllegalArgumentException(
          "TokenFuser bottleneck_dim must be positive, got " + bottleneckDim);
    }
  }

  /** Scenic's defaults: bottleneck 64, no dropout. */
  public static TokenFuser defaults() {
    return new TokenFuser(BOTTLENECK_DIM_DEFAULT, 0f);
  }

  /**
   * Fuses the tokens back.
   *
   * @param s this module's scope
   * @param tokens {@code [b, K, D]}
   * @param original {@code [b, S, D]} or {@code [b, h, w, D]}, the input the tokens were learned
   *     from
   * @param mode inference or training
   * @param <T> the compute dtype of both inputs
   * @return {@code [b, S, D]} (without the residual)
   */
  public <T extends TFloating> Operand<T> apply(
      ModuleScope s, Operand<T> tokens, Operand<T> original, Mode mode) {
    long[] ts = Shapes.requireRank(tokens, s.describe(), "tokens [batch, tokens, features]", 3);
    long[] os =
        Shapes.requireRank(
            original,
            s.describe(),
            "original [batch, tokens, features] or [batch, h, w, features]",
            3,
            4);
    if (ts[2] != os[os.length - 1]) {
      throw new IllegalArgumentException(
          s.describe()
              + ": tokens "
              + Shapes.describe(tokens)
              + " and original "
              + Shapes.describe(original)
              + " differ in features");
    }
    Ops tf = s.tf();
    long k = ts[1];
    int numTokens = Math.toIntExact(k);
    Operand<T> t = LayerNorm.defaults().apply(s.named("fuser_mix_norm1"), tokens);
    // [b, D, K]: the Dense mixes the token axis
    t = tf.linalg.transpose(t, tf.constant(new int[] {0, 2, 1}));
    Dense tokenMix = new Dense(numTokens, true, Initializer.zeros(), Initializer.zeros());
    t = tokenMix.apply(s.child(tokenMix), t);
    // [b, K, D]
    t = tf.linalg.transpose(t, tf.constant(new int[] {0, 2, 1}));
    t = LayerNorm.defaults().apply(s.named("fuser_mix_norm2"), t);
    Operand<T> orig = TokenPooling.flattenSpatial(tf, original);
    LayerNorm norm = LayerNorm.defaults();
    Operand<T> mix = norm.apply(s.child(norm), orig);
    // [b, S, K]
    mix =
        new MlpBlock(bottleneckDim, numTokens, dropoutRate)
            .apply(s.named("token_masking"), mix, mode);
    mix = tf.math.sigmoid(mix);
    // [b, S, D]
    Operand<T> out = Precision.batchMatMul(tf, mix, t, false);
    return new Dropout(dropoutRate).apply(s, out, mode);
  }
}
