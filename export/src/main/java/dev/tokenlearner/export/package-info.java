/**
 * SavedModels in and out: {@link dev.tokenlearner.export.ScenicImport} turns a Scenic checkpoint
 * plus its config into a SavedModel, and {@link dev.tokenlearner.export.Predict} runs an exported
 * model on {@code .npy} arrays or image files ({@link dev.tokenlearner.export.PredictionFiles}
 * writes its top-k classes). The SavedModel layout lives in {@code export.savedmodel}, the Java
 * predictor and REST endpoint in {@code export.serving}; checkpoint formats and weight import by
 * path live in the {@code checkpoint} module.
 */
package dev.tokenlearner.export;
