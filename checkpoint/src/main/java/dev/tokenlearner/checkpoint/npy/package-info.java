/**
 * NumPy {@code .npy} files: the exchange format for model inputs, reference outputs and the entries
 * of ViT {@code .npz} checkpoints.
 */
package dev.tokenlearner.checkpoint.npy;
