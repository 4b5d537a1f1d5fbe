/**
 * Where a step's time goes: TensorFlow's per-op step stats ({@code RunMetadata} of a traced {@code
 * Session.run}), the host time around it, a top-ops table and a Chrome trace.
 */
package dev.tokenlearner.train.profile;
