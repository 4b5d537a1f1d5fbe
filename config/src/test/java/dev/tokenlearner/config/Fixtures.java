package dev.tokenlearner.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Locates the Scenic fixtures in testdata/fixtures for tests. */
public final class Fixtures {
  private Fixtures() {}

  /** The fixtures folder: {@code tokenlearner.testdata}/fixtures, else ../testdata/fixtures. */
  public static Path root() {
    String testdata = System.getProperty("tokenlearner.testdata");
    Path base = testdata != null ? Path.of(testdata) : Path.of("../testdata");
    return base.resolve("fixtures");
  }

  /** Every fixture folder that has a config.json, sorted by name. */
  public static List<Path> configDirs() {
    try (Stream<Path> s = Files.list(root())) {
      return s.filter(p -> Files.isRegularFile(p.resolve("config.json"))).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** File of the first TokenLearner's attention maps, in every set that has a TokenLearner. */
  public static final String TOKEN_MAPS_FILE = "expected_token_maps.npy";

  /** Names of the fixture sets with a TokenLearner (they have {@link #TOKEN_MAPS_FILE}). */
  public static Stream<String> tokenMapSets() {
    return configDirs().stream()
        .filter(p -> Files.isRegularFile(p.resolve(TOKEN_MAPS_FILE)))
        .map(p -> p.getFileName().toString());
  }

  /** Fixture folder names, for parameterized tests. */
  public static Stream<String> names() {
    return configDirs().stream().map(p -> p.getFileName().toString());
  }
}
