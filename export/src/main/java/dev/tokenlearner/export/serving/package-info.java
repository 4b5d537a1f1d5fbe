/**
 * Serving exported models: {@link dev.tokenlearner.export.serving.TokenLearnerPredictor}, a
 * thread-safe classifier over one loaded SavedModel ({@code predict} on preprocessed arrays, {@code
 * predictEncoded} on JPEG/PNG bytes), its {@link dev.tokenlearner.export.serving.Predictions}
 * (logits, probabilities, labels, top-k), and {@link dev.tokenlearner.export.serving.RestServer},
 * TF Serving's REST API on the JDK's HTTP server.
 */
package dev.tokenlearner.export.serving;
