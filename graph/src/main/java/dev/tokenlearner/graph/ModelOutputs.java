package dev.tokenlearner.graph;

import java.util.Optional;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The named outputs of a {@link TokenLearnerViT} graph.
 *
 * @param logits {@code [b, num_classes]}, no softmax or sigmoid applied
 * @param representation {@code [b, R]} the pooled features fed to {@code output_projection} (after
 *     {@code pre_logits} when present)
 * @param encoded {@code [b, n, D]} the {@code Transformer} output after {@code encoder_norm}
 * @param learnedTokens {@code [b, t*K, D]} the first TokenLearner's output, when the model has one
 * @param tokenMaps the attention weights the first TokenLearner pools with, on the patch grid:
 *     images {@code [b, K, h, w]}, video {@code [b, T', K, h, w]}; v1.1 softmax over {@code h·w},
 *     v1 sigmoid
 */
public record ModelOutputs(
    Operand<TFloat32> logits,
    Operand<TFloat32> representation,
    Operand<TFloat32> encoded,
    Optional<Operand<TFloat32>> learnedTokens,
    Optional<Operand<TFloat32>> tokenMaps) {}
