/**
 * TokenLearner models as TensorFlow SavedModels: {@link
 * dev.tokenlearner.export.savedmodel.SavedModelExporter} builds the inference graph, loads weights
 * and writes the model atomically; {@link dev.tokenlearner.export.savedmodel.ServingModel} loads
 * one back, runs its signatures on host arrays and reads the stored config.
 *
 * <p>Layout of an exported directory:
 *
 * <ul>
 *   <li>{@code saved_model.pb}, {@code variables/}: a TF1-style SavedModel, tag {@code serve},
 *       variables named by their Flax paths ({@code Transformer/encoderblock_0/...});
 *   <li>signatures (all with method {@code tensorflow/serving/predict}, input {@code images}
 *       float32 {@code [-1, H, W, C]} or {@code [-1, T, H, W, C]}): {@code serving_default} →
 *       {@code logits}, {@code representation} → {@code representation}, {@code encoded} → {@code
 *       encoded}, and {@code learned_tokens} → {@code learned_tokens} and {@code token_maps} →
 *       {@code token_maps} (the first TokenLearner's attention maps) for models with a
 *       TokenLearner; {@code serving_bytes} takes {@code image_bytes} (encoded images, string
 *       {@code [-1]}, or {@code [-1, T]} frames for video), runs the evaluation preprocessing in
 *       the graph and returns {@code logits} and {@code probabilities};
 *   <li>{@code assets.extra/tokenlearner_config.yaml}: the resolved model config, input spec,
 *       preprocessing, class labels, parameter count and FLOPs, provenance (source checkpoint and
 *       its SHA-256) and the original config text ({@link
 *       dev.tokenlearner.export.savedmodel.ModelMetadata}); {@code assets.extra/labels.txt}: the
 *       class names, one per line.
 * </ul>
 *
 * <p>{@link dev.tokenlearner.export.savedmodel.ServingRoot} keeps TF Serving's numbered version
 * folders.
 */
package dev.tokenlearner.export.savedmodel;
