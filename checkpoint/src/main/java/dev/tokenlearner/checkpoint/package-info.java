/**
 * Weights in and out of files: Flax/Scenic msgpack train states (all three Scenic layouts), Orbax
 * directories ({@code orbax}), original ViT {@code .npz} files, {@code .npy} arrays ({@code npy}),
 * and the directory conventions of Flax's checkpoint manager. {@link
 * dev.tokenlearner.checkpoint.Checkpoints#read} is the entry point; every reader returns a {@link
 * dev.tokenlearner.checkpoint.Checkpoint} whose parameter paths are Scenic's Linen names. {@link
 * dev.tokenlearner.checkpoint.WeightImporter} fills a graph's parameters from a checkpoint by Flax
 * path, listing every mismatch at once.
 */
package dev.tokenlearner.checkpoint;
