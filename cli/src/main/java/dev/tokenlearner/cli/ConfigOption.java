package dev.tokenlearner.cli;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.core.MissingFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The shared {@code --config} option: a YAML/JSON file, or the name of a bundled config. */
final class ConfigOption {

  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "CONFIG",
      description =
          "Config file (.yaml/.json, Scenic keys) or the name of a bundled config (train --help lists them).")
  String config;

  /** The option holding {@code value}, for commands where {@code --config} is optional. */
  static ConfigOption of(String value) {
    ConfigOption o = new ConfigOption();
    o.config = value;
    return o;
  }

  /** Loads the config. */
  ExperimentConfig load() throws IOException {
    check();
    return ConfigLoader.loadNamed(config);
  }

  /** The config's text as given: the file's, or the bundled config's. */
  String text() throws IOException {
    check();
    Path file = Path.of(config);
    if (Files.isRegularFile(file)) {
      return Files.readString(file, StandardCharsets.UTF_8);
    }
    return BundledConfigs.text(config).orElseThrow();
  }

  /**
   * Fails in one line when the value is neither an existing file nor a bundled name: a path (it has
   * a folder or a config suffix) is a missing file, a bare word an unknown bundled name.
   */
  private void check() throws IOException {
    Path file = Path.of(config);
    if (Files.isRegularFile(file)) {
      return;
    }
    if (Files.isDirectory(file)) {
      throw new InvalidInputException(
          config + " is a folder; --config takes a .yaml or .json file or a bundled config name");
    }
    String lower = config.toLowerCase(Locale.ROOT);
    boolean looksLikePath =
        config.contains("/")
            || lower.endsWith(".json")
            || lower.endsWith(".yml")
            || (lower.endsWith(".yaml") && BundledConfigs.text(config).isEmpty());
    if (looksLikePath) {
      throw new MissingFileException(file);
    }
    if (BundledConfigs.text(config).isEmpty()) {
      throw new InvalidInputException(
          "no such file or bundled config: "
              + config
              + "; bundled configs: "
              + String.join(", ", BundledConfigs.names()));
    }
  }
}
