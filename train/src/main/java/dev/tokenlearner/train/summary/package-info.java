/**
 * What a training run leaves for people to read: TensorBoard event files, a CSV of the metrics and
 * a PNG of the learning curves.
 */
package dev.tokenlearner.train.summary;
