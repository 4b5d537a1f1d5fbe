package dev.tokenlearner.cli;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import java.io.IOException;
import picocli.CommandLine.Option;

/** The shared {@code --config} option: a YAML/JSON file, or the name of a bundled config. */
final class ConfigOption {

  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "CONFIG",
      description =
          "Config file (.yaml/.json, Scenic keys) or bundled name: tiny, im1k_token_learner, vit_b16_baseline, tokenfuser_b16, kinetics_tokenlearner_b16, token_learner_{ti16,s16,b16,l16}.")
  String config;

  /** Loads the config. */
  ExperimentConfig load() throws IOException {
    return ConfigLoader.loadNamed(config);
  }
}
