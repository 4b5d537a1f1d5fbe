package dev.tokenlearner.graph.flops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The parameter tree derived from each fixture's config equals the tree Flax wrote. */
class ExpectedParamShapesTest {

  static Stream<String> fixtureNames() {
    return Fixtures.names();
  }

  /** Reads {@code path dtype [d0, d1, ...]} lines, keeping file order. */
  static Map<String, long[]> manifest(Path file) throws IOException {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) {
        continue;
      }
      int sp1 = line.indexOf(' ');
      int sp2 = line.indexOf(' ', sp1 + 1);
      String path = line.substring(0, sp1);
      assertEquals("float32", line.substring(sp1 + 1, sp2), line);
      String dims = line.substring(sp2 + 1).trim();
      dims = dims.substring(1, dims.length() - 1).trim();
      long[] shape =
          dims.isEmpty()
              ? new long[0]
              : Arrays.stream(dims.split(","))
                  .map(String::trim)
                  .mapToLong(Long::parseLong)
                  .toArray();
      out.put(path, shape);
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtureNames")
  void expectedParamShapes_fixtureConfig_equalsManifestInOrder(String name) throws IOException {
    Path dir = Fixtures.root().resolve(name);
    ExperimentConfig c = ConfigLoader.load(dir.resolve("config.json"));
    Map<String, long[]> want = manifest(dir.resolve("params_manifest.txt"));
    SortedMap<String, long[]> got = FlopCounter.expectedParamShapes(c);

    assertEquals(new ArrayList<>(want.keySet()), new ArrayList<>(got.keySet()));
    for (Map.Entry<String, long[]> e : want.entrySet()) {
      assertEquals(Arrays.toString(e.getValue()), Arrays.toString(got.get(e.getKey())), e.getKey());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtureNames")
  void parameterCount_fixtureConfig_equalsManifestTotal(String name) throws IOException {
    Path dir = Fixtures.root().resolve(name);
    ExperimentConfig c = ConfigLoader.load(dir.resolve("config.json"));
    long want =
        manifest(dir.resolve("params_manifest.txt")).values().stream()
            .mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b))
            .sum();
    assertEquals(want, FlopCounter.parameterCount(c));
    FlopReport r = FlopCounter.count(c);
    assertEquals(want, r.params());
    List<LayerCost> layers = FlopCounter.layers(c);
    assertEquals(want, layers.stream().mapToLong(LayerCost::params).sum());
    assertTrue(r.flops() > 0);
  }
}
