/**
 * Whole models assembled from a config: {@link dev.tokenlearner.graph.TokenLearnerViT} (Scenic's
 * TokenLearner ViT / ViViT with {@code EncoderMod} or {@code EncoderModFuser}) and its named
 * outputs. Configs live in {@code dev.tokenlearner.config}, FLOP counts in {@code
 * dev.tokenlearner.graph.flops}.
 */
package dev.tokenlearner.graph;
