/**
 * Training data: the embedded shapes dataset, image folders and TFRecord files (read in Java), a
 * per-step example order that is a pure function of (seed, step), and a background producer that
 * prepares batches ahead of the training step.
 */
package dev.tokenlearner.train.data;
