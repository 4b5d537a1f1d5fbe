package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * TokenLearner v1 (Scenic's {@code TokenLearnerModule}): learns {@code numTokens} tokens with a
 * spatial attention map from a small conv stack.
 *
 * <pre>{@code
 * s = LayerNorm_0(x)                              // [b, h, h, D]
 * s = gelu(Conv_0(s)); gelu(Conv_1); gelu(Conv_2) // 3x3 SAME, no bias, K channels
 * s = sigmoid(Conv_3(s))                          // [b, h, h, K] -> [b, K, S]
 * out = Σ_s s[b,k,s] · x[b,s,:]                   // sum pooling (or mean)
 * }</pre>
 *
 * <ul>
 *   <li>Parameters: {@code LayerNorm_0/{scale,bias} [D]}, {@code Conv_0/kernel [3,3,D,K]}, {@code
 *       Conv_1..3/kernel [3,3,K,K]}
 *   <li>Input: {@code [b, S, D]} with S a perfect square, or {@code [b, h, w, D]} with {@code h ==
 *       w}
 *   <li>Output: {@code [b, K, D]}
 * </ul>
 *
 * @param numTokens K, the number of learned tokens
 * @param useSumPooling sum pooling (Scenic's default) or mean pooling over space
 * @see <a href="https://arxiv.org/abs/2106.11297">TokenLearner (Ryoo et al., NeurIPS 2021)</a>
 */
public record TokenLearnerModule(int numTokens, boolean useSumPooling) implements FlaxModule {

  /** Flax's class name, the prefix of auto-named instances. */
  public static final String NAME = "TokenLearnerModule";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** Number of 3x3 convolutions in the attention-map stack. */
  public static final int NUM_CONVS = 4;

  /** Checks the size. */
  public TokenLearnerModule {
    if (numTokens <= 0) {
      throw new IllegalArgumentException(
          "TokenLearnerModule needs positive num_tokens, got " + numTokens);
    }
  }

  /** Scenic's defaults: sum pooling. */
  public static TokenLearnerModule defaults(int numTokens) {
    return new TokenLearnerModule(numTokens, true);
  }

  /**
   * Learns the tokens.
   *
   * @param s this module's scope
   * @param x {@code [b, S, D]} (S square) or {@code [b, h, h, D]}
   * @param mode inference or training (no effect: the module has no dropout)
   * @param <T> the compute dtype
   * @return {@code [b, K, D]}
   * @throws IllegalArgumentException if the token grid is not square
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
    return learn(s, x, mode).tokens();
  }

  /**
   * Learns the tokens and keeps the attention weights.
   *
   * @param s this module's scope
   * @param x {@code [b, S, D]} (S square) or {@code [b, h, h, D]}
   * @param mode inference or training (no effect)
   * @param <T> the compute dtype
   * @return tokens {@code [b, K, D]} and the sigmoid weights {@code [b, K, S]}
   * @throws IllegalArgumentException if the token grid is not square
   */
  public <T extends TFloating> LearnedTokens<T> learn(ModuleScope s, Operand<T> x, Mode mode) {
    long[] shape =
        Shapes.requireRank(
            x, s.describe(), "[batch, tokens, features] or [batch, h, w, features]", 3, 4);
    Ops tf = s.tf();
    long d = shape[shape.length - 1];
    long h;
    if (shape.length == 3) {
      h = Math.round(Math.sqrt((double) shape[1]));
      if (h * h != shape[1]) {
        throw new IllegalArgumentException(
            s.describe()
                + ": TokenLearnerModule (v1) needs a square token grid, got "
                + shape[1]
                + " tokens in input of shape "
                + Shapes.describe(x));
      }
    } else {
      if (shape[1] != shape[2]) {
        throw new IllegalArgumentException(
            s.describe()
                + ": TokenLearnerModule (v1) needs a square token grid, got shape "
                + Shapes.describe(x));
      }
      h = shape[1];
    }
    // [b, h, h, D]
    Operand<T> grid = Shapes.reshapeBatch(tf, x, h, h, d);
    LayerNorm norm = LayerNorm.defaults();
    Operand<T> sel = norm.apply(s.child(norm), grid);
    Conv conv = Conv.sameNoBias(numTokens, 3, 3);
    for (int i = 0; i < NUM_CONVS; i++) {
      sel = conv.apply(s.child(conv), sel);
      if (i < NUM_CONVS - 1) {
        sel = Activations.gelu(tf, sel);
      }
    }
    // [b, S, K] -> [b, K, S]
    sel = Shapes.reshapeBatch(tf, sel, h * h, numTokens);
    sel = tf.linalg.transpose(sel, tf.constant(new int[] {0, 2, 1}));
    sel = tf.math.sigmoid(sel);
    Operand<T> flat = Shapes.reshapeBatch(tf, x, h * h, d);
    Operand<T> out = TokenPooling.weightedSum(tf, sel, flat);
    return new LearnedTokens<>(
        useSumPooling ? out : tf.math.div(out, Precision.scalar(tf, (float) (h * h), x.type())),
        sel);
  }
}
