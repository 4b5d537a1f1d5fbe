/**
 * Weights in and out of files: Flax/Scenic msgpack train states (all three Scenic layouts), Orbax
 * directories ({@code orbax}), original ViT {@code .npz} files, {@code .npy} arrays ({@code npy}),
 * and the directory conventions of Flax's checkpoint manager. {@link
 * dev.tokenlearner.checkpoint.Checkpoints#read} is the entry point; every reader returns a {@link
 * dev.tokenlearner.checkpoint.Checkpoint} whose parameter paths are Scenic's Linen names. The
 * readers need no TensorFlow; matching a checkpoint to a model is the weights module's job.
 */
package dev.tokenlearner.checkpoint;
