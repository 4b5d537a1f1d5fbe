package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * Scenic ViT's pre-LayerNorm transformer block.
 *
 * <pre>{@code
 * x1 = x + StochasticDepth(Dropout(MHA(LayerNorm_0(x))))
 * y  = x1 + StochasticDepth(MlpBlock(LayerNorm_1(x1)))
 * }</pre>
 *
 * <ul>
 *   <li>Parameters: {@code LayerNorm_0}, {@code MultiHeadDotProductAttention_0}, {@code
 *       LayerNorm_1}, {@code MlpBlock_0} (see those classes)
 *   <li>Input: {@code [b, n, D]}; output: {@code [b, n, D]}
 * </ul>
 *
 * @param mlpDim MLP hidden width
 * @param numHeads attention heads
 * @param dropoutRate dropout after attention and in the MLP (training only)
 * @param attentionDropoutRate dropout on attention weights (training only)
 * @param stochasticDepth residual-branch drop rate (training only)
 */
public record Encoder1DBlock(
    int mlpDim,
    int numHeads,
    float dropoutRate,
    float attentionDropoutRate,
    float stochasticDepth) {

  /** A block without dropout or stochastic depth. */
  public static Encoder1DBlock of(int mlpDim, int numHeads) {
    return new Encoder1DBlock(mlpDim, numHeads, 0f, 0f, 0f);
  }

  /**
   * Applies the block.
   *
   * @param s this block's scope (Scenic names it {@code encoderblock_i})
   * @param x {@code [b, n, D]}
   * @param mode inference or training
   * @param <T> the compute dtype
   * @return {@code [b, n, D]}
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
    Shapes.requireRank(x, s.describe(), "[batch, tokens, features]", 3);
    var tf = s.tf();
    StochasticDepth drop = new StochasticDepth(stochasticDepth);
    LayerNorm norm = LayerNorm.defaults();
    Operand<T> y = norm.apply(s.child(norm), x);
    var attention = new MultiHeadDotProductAttention(numHeads, attentionDropoutRate);
    y = attention.apply(s.child(attention), y, mode);
    y = new Dropout(dropoutRate).apply(s, y, mode);
    y = drop.apply(s, y, mode);
    Operand<T> x1 = tf.math.add(y, x);
    Operand<T> z = norm.apply(s.child(norm), x1);
    MlpBlock mlp = MlpBlock.of(mlpDim, dropoutRate);
    z = mlp.apply(s.child(mlp), z, mode);
    z = drop.apply(s, z, mode);
    return tf.math.add(z, x1);
  }
}
