/**
 * Layers that emit TensorFlow ops into a {@link org.tensorflow.Graph}, with Flax's parameter names
 * and numerics, so that Scenic checkpoints load by path.
 *
 * <p>A layer is a record holding its configuration (Scenic's attributes and defaults) with one
 * {@code apply(ModuleScope, Operand<TFloat32>, Mode)} method, Flax's {@code __call__}. {@link
 * dev.tokenlearner.ops.ModuleScope} mirrors Flax's module naming ({@code Dense_0}, {@code
 * token_masking}; {@code scope.child(layer)} asks the layer for its class name) and declares
 * parameters in the single {@link dev.tokenlearner.ops.ParameterStore} of a graph; variables are
 * named by their Flax path joined with '/'. {@link dev.tokenlearner.ops.PathScope} turns paths into
 * TF op names with one table of used names per graph, so building is linear in the number of ops;
 * {@link dev.tokenlearner.ops.WeightIo} reads and assigns variables by key through a session.
 *
 * <p>The TokenLearner pieces are {@link dev.tokenlearner.ops.TokenLearnerModule} (v1), {@link
 * dev.tokenlearner.ops.TokenLearnerModuleV11} and {@link dev.tokenlearner.ops.TokenFuser}; the ViT
 * pieces are {@link dev.tokenlearner.ops.Encoder1DBlock}, {@link
 * dev.tokenlearner.ops.MultiHeadDotProductAttention}, {@link dev.tokenlearner.ops.MlpBlock}, {@link
 * dev.tokenlearner.ops.LayerNorm}, {@link dev.tokenlearner.ops.Dense}, {@link
 * dev.tokenlearner.ops.Conv} and {@link dev.tokenlearner.ops.AddPositionEmbs}.
 */
package dev.tokenlearner.ops;
