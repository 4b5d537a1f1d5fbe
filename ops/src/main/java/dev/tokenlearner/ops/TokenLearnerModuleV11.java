package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * TokenLearner v1.1 (Scenic's {@code TokenLearnerModuleV11}): learns {@code numTokens} tokens as
 * softmax-weighted sums of the input tokens.
 *
 * <pre>{@code
 * s = token_masking(LayerNorm_0(x))        // MlpBlock D -> bottleneck -> K, [b, S, K]
 * w = softmax(transpose(s), over S)        // [b, K, S]
 * out = w · x                              // the original x, [b, K, D]
 * }</pre>
 *
 * <ul>
 *   <li>Parameters: {@code LayerNorm_0/{scale,bias} [D]}, {@code token_masking/Dense_0/kernel [D,
 *       bottleneck]}, {@code token_masking/Dense_0/bias [bottleneck]}, {@code
 *       token_masking/Dense_1/kernel [bottleneck, K]}, {@code token_masking/Dense_1/bias [K]}
 *   <li>Input: {@code [b, S, D]} or {@code [b, h, w, D]} (any S; non-square grids are fine)
 *   <li>Output: {@code [b, K, D]}
 * </ul>
 *
 * @param numTokens K, the number of learned tokens
 * @param bottleneckDim the mask MLP's hidden width (Scenic: 64, never set from config)
 * @param dropoutRate dropout inside the mask MLP (training only)
 * @see <a href="https://arxiv.org/abs/2106.11297">TokenLearner (Ryoo et al., NeurIPS 2021)</a>
 */
public record TokenLearnerModuleV11(int numTokens, int bottleneckDim, float dropoutRate)
    implements FlaxModule {

  /** Flax's class name, the prefix of auto-named instances. */
  public static final String NAME = "TokenLearnerModuleV11";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** Scenic's default bottleneck width. */
  public static final int BOTTLENECK_DIM_DEFAULT = 64;

  /** Checks the sizes. */
  public TokenLearnerModuleV11 {
    if (numTokens <= 0 || bottleneckDim <= 0) {
      throw new IllegalArgumentException(
          "TokenLearnerModuleV11 needs positive num_tokens and bottleneck_dim, got "
              + numTokens
              + ", "
              + bottleneckDim);
    }
  }

  /** Scenic's defaults: bottleneck 64, no dropout. */
  public static TokenLearnerModuleV11 defaults(int numTokens) {
    return new TokenLearnerModuleV11(numTokens, BOTTLENECK_DIM_DEFAULT, 0f);
  }

  /**
   * Learns the tokens.
   *
   * @param s this module's scope
   * @param x {@code [b, S, D]} or {@code [b, h, w, D]}
   * @param mode inference or training
   * @param <T> the compute dtype; the softmax runs in float32 whatever it is
   * @return {@code [b, K, D]}
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
    return learn(s, x, mode).tokens();
  }

  /**
   * Learns the tokens and keeps the attention weights.
   *
   * @param s this module's scope
   * @param x {@code [b, S, D]} or {@code [b, h, w, D]}
   * @param mode inference or training
   * @param <T> the compute dtype
   * @return tokens {@code [b, K, D]} and the softmax weights {@code [b, K, S]}
   */
  public <T extends TFloating> LearnedTokens<T> learn(ModuleScope s, Operand<T> x, Mode mode) {
    Shapes.requireRank(
        x, s.describe(), "[batch, tokens, features] or [batch, h, w, features]", 3, 4);
    Ops tf = s.tf();
    x = TokenPooling.flattenSpatial(tf, x);
    LayerNorm norm = LayerNorm.defaults();
    Operand<T> sel = norm.apply(s.child(norm), x);
    // [b, S, K]
    sel =
        new MlpBlock(bottleneckDim, numTokens, dropoutRate)
            .apply(s.named("token_masking"), sel, mode);
    // [b, K, S], softmax over the spatial axis
    sel = tf.linalg.transpose(sel, tf.constant(new int[] {0, 2, 1}));
    sel = Precision.inFloat32(tf, sel, tf.nn::softmax);
    return new LearnedTokens<>(TokenPooling.weightedSum(tf, sel, x), sel);
  }
}
