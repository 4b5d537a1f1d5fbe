package dev.tokenlearner.cli.sweep;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.AtomicFile;
import dev.tokenlearner.core.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every model of a sweep shares (config, step budget, data, fuser, seed), kept in {@code
 * <out>/sweep_settings.txt} so that a rerun that would skip finished models trained under other
 * settings is refused instead of mixing two budgets in one table. Token counts and locations may
 * change between runs: they only add or drop models.
 *
 * @param values the settings by name, in file order
 */
public record SweepSettings(Map<String, String> values) {

  /** The settings file inside the sweep folder. */
  public static final String FILE = "sweep_settings.txt";

  public SweepSettings {
    values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /**
   * The settings of this run.
   *
   * @param config the base config, steps already applied
   * @param data the data replacing the config's dataset, if any
   * @param evalData held-out arrays, if any
   * @param fuser whether TokenFuser follows the TokenLearner
   * @return the settings
   */
  public static SweepSettings of(
      ExperimentConfig config, Optional<Path> data, Optional<Path> evalData, boolean fuser) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("config", config.source());
    v.put(
        "steps",
        config.train().numTrainingSteps().isPresent()
            ? Long.toString(config.train().numTrainingSteps().getAsLong())
            : "config epochs " + config.train().numTrainingEpochs().orElse(0));
    v.put("data", data.map(p -> p.toAbsolutePath().normalize().toString()).orElse("config"));
    v.put("eval_data", evalData.map(p -> p.toAbsolutePath().normalize().toString()).orElse(""));
    v.put("fuser", Boolean.toString(fuser));
    v.put("rng_seed", Long.toString(config.train().rngSeed()));
    return new SweepSettings(v);
  }

  /**
   * Records these settings in {@code out}, or checks them against the ones recorded by an earlier
   * run there.
   *
   * @param out the sweep folder
   * @throws InvalidInputException naming each setting that differs from the earlier run's
   * @throws IOException if the file cannot be read or written
   */
  public void recordOrCheck(Path out) throws IOException {
    Path file = out.resolve(FILE);
    if (!Files.exists(file)) {
      Files.createDirectories(out);
      byte[] text = format().getBytes(StandardCharsets.UTF_8);
      AtomicFile.write(file, o -> o.write(text));
      return;
    }
    Map<String, String> earlier = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    List<String> differ = new ArrayList<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      String before = earlier.getOrDefault(e.getKey(), "");
      if (!before.equals(e.getValue())) {
        differ.add(e.getKey() + " was '" + before + "', now '" + e.getValue() + "'");
      }
    }
    if (!differ.isEmpty()) {
      throw new InvalidInputException(
          out
              + " holds a sweep run with other settings ("
              + String.join("; ", differ)
              + "): rerun with the same --config/--steps/--data/--fuser, or use another --out");
    }
  }

  private String format() {
    StringBuilder b = new StringBuilder();
    values.forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
    return b.toString();
  }

  private static Map<String, String> parse(List<String> lines) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String l : lines) {
      int colon = l.indexOf(": ");
      if (colon > 0) {
        m.put(l.substring(0, colon), l.substring(colon + 2));
      } else if (l.endsWith(":")) {
        m.put(l.substring(0, l.length() - 1), "");
      }
    }
    return m;
  }
}
