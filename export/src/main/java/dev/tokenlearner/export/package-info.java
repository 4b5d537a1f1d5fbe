/**
 * Weights in and out of TensorFlow graphs: {@link dev.tokenlearner.export.WeightImporter} fills a
 * graph's parameters from a checkpoint by Flax path, {@link dev.tokenlearner.export.ScenicImport}
 * turns a Scenic checkpoint plus its config into a SavedModel, and {@link
 * dev.tokenlearner.export.Predict} runs an exported model on {@code .npy} arrays or image files.
 *
 * <p>Checkpoint formats live in {@code export.checkpoint}, {@code .npy} files in {@code
 * export.npy}, and the SavedModel layout in {@code export.savedmodel}.
 */
package dev.tokenlearner.export;
