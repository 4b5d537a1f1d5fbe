/**
 * Training TokenLearner models in a TensorFlow Java graph, the way Scenic's {@code
 * classification_trainer} trains them; {@link dev.tokenlearner.train.Trainer#run} is the entry
 * point, and {@link dev.tokenlearner.train.TrainStep} is its step as a library (with a seam for
 * aggregating gradients across devices).
 *
 * <ul>
 *   <li>Losses: softmax cross-entropy ({@code token_learner_classification}) or per-class sigmoid
 *       cross-entropy ({@code token_learner_multilabel_classification}), optional label smoothing
 *       and {@code l2_decay_factor}.
 *   <li>Optimizer: optax's adam / adamw (decoupled {@code weight_decay}) or sgd with momentum,
 *       global-norm clipping ({@code max_grad_norm}), {@code explicit_weight_decay}, and Scenic's
 *       {@code compound} learning-rate schedule computed in the graph from the int64 global step.
 *   <li>Gradients: symbolic ({@code Graph.addGradients}); Conv3D and sparse softmax cross-entropy,
 *       which TensorFlow's C++ library cannot differentiate, get Java gradients ({@link
 *       dev.tokenlearner.train.CustomGradients}).
 *   <li>Checkpoints: Scenic's msgpack train state ({@code params}, {@code opt_state} as optax's
 *       chain of {@code ScaleByAdamState}, {@code global_step}, {@code rng}), written atomically
 *       through {@code dev.tokenlearner.checkpoint}.
 * </ul>
 *
 * <p>Devices: the CPU natives by default. Building with the Maven profile {@code gpu} swaps in
 * TensorFlow's CUDA natives ({@code tensorflow-core-native:linux-x86_64-gpu}) and JavaCPP's CUDA
 * and cuDNN redistributable, which {@code CudaRedist} loads before TensorFlow opens the libraries.
 * {@link dev.tokenlearner.train.Devices} turns the config's {@code device} ({@code cpu}, {@code
 * gpu}, {@code auto}) into session options; {@code gpu} fails at start naming what is missing
 * instead of TensorFlow's silent fallback to the CPU. The trainer logs where the steps run; {@link
 * dev.tokenlearner.train.TrainOptions#logDevicePlacement()} makes TensorFlow log every op's
 * placement.
 *
 * <p>Mixed precision ({@code model_dtype_str: bfloat16} or {@code float16}): the model computes in
 * the low precision on float32 parameters; the loss, gradients, optimizer state and checkpoints are
 * float32. float16 adds dynamic loss scaling ({@link dev.tokenlearner.train.LossScale}).
 */
package dev.tokenlearner.train;
