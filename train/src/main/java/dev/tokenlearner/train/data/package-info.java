/**
 * Training data: the embedded shapes dataset, image folders, TFRecord files of {@code
 * tf.train.Example}s (classic ImageNet and TFDS layouts, read in Java), Fashion-MNIST IDX files,
 * and video clips (DMVR-style {@code SequenceExample} TFRecords or folders of frames); Scenic's
 * augmentation as TF ops ({@link dev.tokenlearner.train.data.TrainPreprocessing}); a per-step
 * example order that is a pure function of (seed, step); and a producer that builds batches ahead
 * of the training step on several threads.
 */
package dev.tokenlearner.train.data;
