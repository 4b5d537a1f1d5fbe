package dev.tokenlearner.graph.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Locates the shared Scenic fixtures for tests. */
public final class Fixtures {
  private Fixtures() {}

  /** The shared fixtures folder: {@code tokenlearner.shared}/fixtures, else ../shared/fixtures. */
  public static Path root() {
    String shared = System.getProperty("tokenlearner.shared");
    Path base = shared != null ? Path.of(shared) : Path.of("../shared");
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

  /** Fixture folder names, for parameterized tests. */
  public static Stream<String> names() {
    return configDirs().stream().map(p -> p.getFileName().toString());
  }
}
