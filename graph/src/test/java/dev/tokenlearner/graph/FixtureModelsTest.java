package dev.tokenlearner.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.Fixtures;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.GraphFixture;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.reference.FixtureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * The whole {@link TokenLearnerViT} graph on the Scenic fixtures in testdata/fixtures: built from
 * each fixture's {@code config.json} through {@link ConfigLoader}, its parameter tree equals the
 * checkpoint's manifest, and with the checkpoint loaded it reproduces the expected outputs.
 */
class FixtureModelsTest {

  /** The fixtures' contract: max abs error of logits (and encoded tokens). */
  private static final double TOLERANCE = 1e-4;

  /** Token maps are weights in [0, 1]: checked tighter. */
  private static final double MAPS_TOLERANCE = 1e-5;

  private static Path dir(String name) {
    return FixtureFiles.fixturesRoot().resolve(name);
  }

  /** The graph's input and outputs. */
  private record Built(Placeholder<TFloat32> images, ModelOutputs out) {}

  private static Built build(GraphFixture g, ExperimentConfig config) {
    var images = g.placeholder("images", config.input().shape(-1));
    return new Built(
        images,
        TokenLearnerViT.build(g.root, config.model(), config.numClasses(), images, Mode.INFERENCE));
  }

  private static void assertClose(HostArray expected, HostArray actual, String what) {
    assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
    double diff = expected.maxAbsDiff(actual);
    assertTrue(diff <= TOLERANCE, what + ": max abs diff " + diff + " > " + TOLERANCE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tokenlearner.ops.reference.FixtureFiles#msgpackSets")
  void build_fixtureCheckpoint_reproducesExpectedOutputs(String name) throws IOException {
    Path dir = dir(name);
    ExperimentConfig config = ConfigLoader.load(dir.resolve("config.json"));
    try (GraphFixture g = new GraphFixture()) {
      Built b = build(g, config);
      g.load(FixtureFiles.readParams(FixtureFiles.checkpointFile(dir)));
      HostArray input = FixtureFiles.readNpy(dir.resolve("input.npy"));

      List<HostArray> values =
          g.runAll(List.of(b.out().logits(), b.out().encoded()), Map.of(b.images(), input));

      assertClose(
          FixtureFiles.readNpy(dir.resolve("expected_logits.npy")),
          values.get(0),
          name + " logits");
      assertClose(
          FixtureFiles.readNpy(dir.resolve("expected_encoded.npy")),
          values.get(1),
          name + " encoded");
    }
  }

  /** The sets with token maps whose checkpoint this module reads (msgpack). */
  static Stream<String> msgpackTokenMapSets() {
    return Fixtures.tokenMapSets().filter(FixtureFiles.MSGPACK_SETS::contains);
  }

  @Test
  void msgpackTokenMapSets_coverEveryTokenLearnerForm() {
    List<String> sets = msgpackTokenMapSets().toList();
    for (String name :
        List.of(
            "tiny_v11",
            "tiny_v1_fuser",
            "tiny_video_3dconv",
            "tiny_rect",
            "tiny_rect_fuser",
            "tiny_v1_wide")) {
      assertTrue(sets.contains(name), name + " missing from " + sets);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("msgpackTokenMapSets")
  void build_fixtureCheckpoint_tokenMapsEqualScenicModuleWeights(String name) throws IOException {
    Path dir = dir(name);
    ExperimentConfig config = ConfigLoader.load(dir.resolve("config.json"));
    try (GraphFixture g = new GraphFixture()) {
      Built b = build(g, config);
      g.load(FixtureFiles.readParams(FixtureFiles.checkpointFile(dir)));
      HostArray input = FixtureFiles.readNpy(dir.resolve("input.npy"));

      HostArray maps =
          g.runAll(List.of(b.out().tokenMaps().orElseThrow()), Map.of(b.images(), input)).get(0);

      HostArray expected = FixtureFiles.readNpy(dir.resolve(Fixtures.TOKEN_MAPS_FILE));
      assertArrayEquals(expected.shape(), maps.shape(), name + " token maps shape");
      double diff = expected.maxAbsDiff(maps);
      assertTrue(diff <= MAPS_TOLERANCE, name + ": token maps max abs diff " + diff);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tokenlearner.config.Fixtures#names")
  void build_fixtureConfig_parameterTreeEqualsManifest(String name) throws IOException {
    Path dir = dir(name);
    ExperimentConfig config = ConfigLoader.load(dir.resolve("config.json"));
    Map<String, String> manifest = new TreeMap<>();
    for (String line : Files.readAllLines(dir.resolve("params_manifest.txt"))) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.split(" ", 3);
      assertEquals("float32", parts[1], line);
      manifest.put(parts[0], parts[2]);
    }
    try (GraphFixture g = new GraphFixture()) {
      build(g, config);

      Map<String, String> built = new TreeMap<>();
      g.store.shapes().forEach((path, shape) -> built.put(path, Arrays.toString(shape)));

      assertEquals(manifest, built);
    }
  }
}
