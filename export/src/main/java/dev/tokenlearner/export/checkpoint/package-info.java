/**
 * Reading and writing model checkpoints: Flax/Scenic msgpack train states (all three Scenic
 * layouts), original ViT {@code .npz} files, and the directory conventions of Flax's checkpoint
 * manager. {@link dev.tokenlearner.export.checkpoint.Checkpoints#read} is the entry point; every
 * reader returns a {@link dev.tokenlearner.export.checkpoint.Checkpoint} whose parameter paths are
 * Scenic's Linen names.
 */
package dev.tokenlearner.export.checkpoint;
