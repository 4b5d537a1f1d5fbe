/**
 * Pictures of what a TokenLearner attends to: each learned token's attention map (the model's
 * {@code token_maps}) upsampled to the input and drawn as a heat overlay, laid out as panels
 * ({@link dev.tokenlearner.graph.maps.MapPanels}) and, for video, animated over time ({@link
 * dev.tokenlearner.graph.maps.AnimatedGif}). Plain {@code java.awt}, headless.
 */
package dev.tokenlearner.graph.maps;
