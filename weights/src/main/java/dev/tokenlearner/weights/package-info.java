/**
 * Checkpoint weights into a model: {@link dev.tokenlearner.weights.WeightImporter} fills a graph's
 * parameters from a {@link dev.tokenlearner.checkpoint.Checkpoint} by Flax path, adapting position
 * embeddings ({@link dev.tokenlearner.weights.PositionEmbeddings}) and listing every mismatch at
 * once ({@link dev.tokenlearner.weights.CheckpointMismatchException}); {@link
 * dev.tokenlearner.weights.InitFromTrainState} is Scenic's {@code init_from} for fine-tuning.
 */
package dev.tokenlearner.weights;
