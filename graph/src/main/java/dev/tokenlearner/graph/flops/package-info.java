/**
 * Analytic cost of a {@link dev.tokenlearner.config.ExperimentConfig}: FLOPs and parameters per
 * layer ({@link dev.tokenlearner.graph.flops.FlopCounter}) and the exact Scenic parameter tree a
 * model built from the config must have ({@link
 * dev.tokenlearner.graph.flops.FlopCounter#expectedParamShapes}).
 */
package dev.tokenlearner.graph.flops;
