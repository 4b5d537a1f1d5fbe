package dev.tokenlearner.checkpoint.orbax;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Locates the Orbax fixtures and copies them for tests that damage files. */
final class OrbaxFixtures {

  private OrbaxFixtures() {}

  /**
   * The fixtures folder, from the {@code tokenlearner.testdata} property or {@code ../testdata}.
   */
  static Path fixtures() {
    String testdata = System.getProperty("tokenlearner.testdata");
    return (testdata != null ? Path.of(testdata) : Path.of("../testdata")).resolve("fixtures");
  }

  static Path zarrCheckpoint() {
    return fixtures().resolve("scenic_orbax_zarr/checkpoint_1202");
  }

  static Path ocdbtCheckpoint() {
    return fixtures().resolve("scenic_orbax_ocdbt/checkpoint_1201");
  }

  /** {@code params_manifest.txt}: path to shape, in file order. */
  static Map<String, long[]> manifest(String fixture) throws IOException {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (String line :
        Files.readAllLines(fixtures().resolve(fixture).resolve("params_manifest.txt"))) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.split(" ", 3);
      assertEquals("float32", parts[1], line);
      String dims = parts[2].trim();
      dims = dims.substring(1, dims.length() - 1).trim();
      long[] shape =
          dims.isEmpty()
              ? new long[0]
              : Arrays.stream(dims.split(",")).mapToLong(s -> Long.parseLong(s.trim())).toArray();
      out.put(parts[0], shape);
    }
    return out;
  }

  /** Asserts the checkpoint's paths and shapes are exactly those of the fixture's manifest. */
  static void assertMatchesManifest(String fixture, Checkpoint c) throws IOException {
    Map<String, long[]> expected = manifest(fixture);
    assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(c.params().keySet()));
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      HostArray a = c.params().get(e.getKey());
      assertEquals(Arrays.toString(e.getValue()), a.shapeString(), e.getKey());
    }
  }

  /** Copies a directory tree into {@code target} (created), with writable copies. */
  static Path copyTree(Path source, Path target) {
    try (Stream<Path> all = Files.walk(source)) {
      List<Path> paths = all.toList();
      for (Path p : paths) {
        Path t = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
          t.toFile().setWritable(true);
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
