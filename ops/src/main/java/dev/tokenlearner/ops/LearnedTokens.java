package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * What a TokenLearner module computes: the learned tokens and the attention weights it pooled them
 * with ({@code tokens = weights · x}).
 *
 * @param tokens {@code [b, K, D]}
 * @param weights {@code [b, K, S]}, the spatial axis row-major over the token grid; v1.1: softmax
 *     over S, v1: sigmoid
 * @param <T> the compute dtype
 */
public record LearnedTokens<T extends TFloating>(Operand<T> tokens, Operand<T> weights) {}
