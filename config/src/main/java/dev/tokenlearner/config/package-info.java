/**
 * Experiment configuration with Scenic's key names: immutable records ({@link
 * dev.tokenlearner.config.ExperimentConfig}, {@link dev.tokenlearner.config.ModelConfig}, {@link
 * dev.tokenlearner.config.TokenizerConfig}, {@link dev.tokenlearner.config.TrainConfig}, ...) and
 * the {@link dev.tokenlearner.config.ConfigLoader} that reads them from YAML or JSON.
 *
 * <p>Keys keep Scenic's spelling ({@code model.tokenizer.tokenlearner_loc}); Java names are their
 * camelCase forms ({@code tokenlearnerLoc}). Validation failures are {@link
 * dev.tokenlearner.config.ConfigException}s naming the file and the dotted key.
 */
package dev.tokenlearner.config;
