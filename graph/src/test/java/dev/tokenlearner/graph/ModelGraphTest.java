package dev.tokenlearner.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.reference.FixtureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * {@link ModelGraph}: Flax paths as op names in both modes, and a second tower on shared variables.
 */
class ModelGraphTest {

  private static Map<String, String> manifest(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    for (String line : Files.readAllLines(dir.resolve("params_manifest.txt"))) {
      if (!line.isBlank()) {
        String[] parts = line.split(" ", 3);
        m.put(parts[0], parts[2]);
      }
    }
    return m;
  }

  private static List<String> duplicateOpNames(ModelGraph g) {
    Set<String> seen = new HashSet<>();
    List<String> dups = new ArrayList<>();
    for (var it = g.graph().operations(); it.hasNext(); ) {
      String n = it.next().name();
      if (!seen.add(n)) {
        dups.add(n);
      }
    }
    return dups;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tokenlearner.config.Fixtures#names")
  void build_everyFixtureBothModes_variableOpNamesAreTheManifestPaths(String name)
      throws IOException {
    Path dir = FixtureFiles.fixturesRoot().resolve(name);
    ExperimentConfig config = ConfigLoader.load(dir.resolve("config.json"));
    Map<String, String> expected = manifest(dir);
    for (Mode mode : Mode.values()) {
      try (ModelGraph g = ModelGraph.build(config, mode, -1)) {
        Map<String, String> built = new TreeMap<>();
        for (Parameter p : g.store().parameters()) {
          assertEquals(p.path(), p.variable().op().name(), mode + " " + p.path());
          built.put(p.variable().op().name(), Arrays.toString(p.shape()));
        }

        assertEquals(expected, built, mode.toString());
        assertEquals(List.of(), duplicateOpNames(g), mode.toString());
      }
    }
  }

  @Test
  void inferenceTower_sameVariables_sameLogitsAsTheModel() throws IOException {
    Path dir = FixtureFiles.fixturesRoot().resolve("tiny_v11");
    ExperimentConfig config = ConfigLoader.load(dir.resolve("config.json"));
    try (ModelGraph g = ModelGraph.build(config, Mode.INFERENCE, -1)) {
      int params = g.store().parameters().size();
      Placeholder<TFloat32> x2 =
          g.tf()
              .withName("images_2")
              .placeholder(TFloat32.class, Placeholder.shape(Shape.of(config.input().shape(-1))));

      ModelOutputs tower = g.inferenceTower("eval", x2);

      assertEquals(params, g.store().parameters().size());
      assertTrue(tower.logits().op().name().startsWith("eval/"), tower.logits().op().name());
      assertEquals(List.of(), duplicateOpNames(g));
      HostArray input = FixtureFiles.readNpy(dir.resolve("input.npy"));
      try (Session s = new Session(g.graph())) {
        s.initialize();
        g.store().weights().load(s, FixtureFiles.readParams(FixtureFiles.checkpointFile(dir)));
        try (TFloat32 t =
                TFloat32.tensorOf(
                    Shape.of(input.shape()), DataBuffers.of(input.data(), true, false));
            Result r =
                s.runner()
                    .feed(g.images(), t)
                    .feed(x2, t)
                    .fetch(g.outputs().logits())
                    .fetch(tower.logits())
                    .run()) {
          float[] a = new float[Math.toIntExact(r.get(0).shape().size())];
          float[] b = new float[a.length];
          ((TFloat32) r.get(0)).copyTo(DataBuffers.of(a, false, false));
          ((TFloat32) r.get(1)).copyTo(DataBuffers.of(b, false, false));
          HostArray expected = FixtureFiles.readNpy(dir.resolve("expected_logits.npy"));
          for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-6, "logit " + i);
            assertEquals(expected.data()[i], b[i], 1e-4, "logit " + i + " vs fixture");
          }
        }
      }
    }
  }

  @Test
  void rngKey_inferenceGraph_throws() throws IOException {
    ExperimentConfig config =
        ConfigLoader.load(FixtureFiles.fixturesRoot().resolve("tiny_v11/config.json"));
    try (ModelGraph g = ModelGraph.build(config, Mode.INFERENCE, -1)) {
      assertThrows(IllegalStateException.class, g::rngKey);
    }
  }
}
