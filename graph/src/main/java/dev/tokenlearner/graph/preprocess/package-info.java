/**
 * Image preprocessing as TF ops, shared by evaluation, {@code predict} and exported signatures that
 * take encoded images.
 */
package dev.tokenlearner.graph.preprocess;
