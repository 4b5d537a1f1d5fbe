package dev.tokenlearner.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.weights.ImportOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.GraphOperation;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;

/**
 * The contract with the Scenic originals: every fixture's checkpoint, imported with its config and
 * exported as a SavedModel, reproduces the reference outputs when loaded with plain {@link
 * SavedModelBundle#load}.
 */
class ScenicImportFixturesTest {

  private static final double TOLERANCE = 1e-4;

  /** Token maps are weights in [0, 1]: checked tighter. */
  private static final double MAPS_TOLERANCE = 1e-5;

  /** Every fixture folder (one with a config.json), so a new fixture is picked up. */
  static Stream<String> fixtureSets() throws IOException {
    try (Stream<Path> s = Files.list(Fixtures.root())) {
      return s
          .filter(p -> Files.isRegularFile(p.resolve("config.json")))
          .map(p -> p.getFileName().toString())
          .sorted()
          .toList()
          .stream();
    }
  }

  @Test
  void fixtureSets_includeEveryKnownForm() throws IOException {
    List<String> sets = fixtureSets().toList();
    for (String name :
        List.of(
            "tiny_v11",
            "tiny_v1_fuser",
            "tiny_patch",
            "tiny_chunked",
            "small_b16like",
            "tiny_legacy_optim",
            "tiny_video_3dconv",
            "scenic_orbax_zarr",
            "scenic_orbax_ocdbt",
            "tiny_rect",
            "tiny_rect_fuser",
            "tiny_v1_wide")) {
      assertTrue(sets.contains(name), name + " missing from " + sets);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtureSets")
  void run_fixture_savedModelReproducesReferenceOutputs(String set, @TempDir Path tmp)
      throws IOException {
    Path dir = Fixtures.set(set);
    Path out = tmp.resolve("model");
    ImportSummary summary =
        ScenicImport.run(
            Fixtures.checkpoint(set),
            dir.resolve("config.json"),
            out,
            ImportOptions.strict(),
            false);
    assertTrue(summary.fresh().isEmpty());
    assertTrue(summary.ignored().isEmpty());

    ExperimentConfig cfg = ConfigLoader.load(dir.resolve("config.json"));
    HostArray input = Npy.read(dir.resolve("input.npy"));
    assertEquals(
        cfg.model().hasTokenLearner(),
        dev.tokenlearner.config.Fixtures.tokenMapSets().anyMatch(set::equals),
        "every set with a TokenLearner has Scenic's token maps");
    try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
      Map<String, SignatureDef> sigs = bundle.metaGraphDef().getSignatureDefMap();
      List<String> expectedKeys =
          cfg.model().hasTokenLearner()
              ? List.of(
                  "encoded",
                  "learned_tokens",
                  "representation",
                  "serving_bytes",
                  "serving_default",
                  "token_maps")
              : List.of("encoded", "representation", "serving_bytes", "serving_default");
      assertEquals(expectedKeys, sigs.keySet().stream().sorted().toList());
      for (Map.Entry<String, SignatureDef> e : sigs.entrySet()) {
        assertEquals("tensorflow/serving/predict", e.getValue().getMethodName());
        assertEquals(
            List.of(e.getKey().equals("serving_bytes") ? "image_bytes" : "images"),
            List.copyOf(e.getValue().getInputsMap().keySet()));
      }

      assertClose(
          Npy.read(dir.resolve("expected_logits.npy")),
          call(bundle, "serving_default", "logits", input),
          set + " logits");
      assertClose(
          Npy.read(dir.resolve("expected_encoded.npy")),
          call(bundle, "encoded", "encoded", input),
          set + " encoded");
      HostArray pooled = Npy.read(dir.resolve("expected_pooled.npy"));
      HostArray expectedRepresentation =
          cfg.model().representationSize().isPresent()
              ? preLogits(pooled, Checkpoints.read(Fixtures.checkpoint(set)))
              : pooled;
      assertClose(
          expectedRepresentation,
          call(bundle, "representation", "representation", input),
          set + " representation");
      if (cfg.model().hasTokenLearner()) {
        HostArray tokens = call(bundle, "learned_tokens", "learned_tokens", input);
        int frames = cfg.tokenGrid().tDims();
        assertArrayEquals(
            new long[] {
              input.shape()[0],
              (long) frames * cfg.model().tokenizer().numTokens(),
              cfg.model().hiddenSize()
            },
            tokens.shape());
        // The first TokenLearner's weights, as Scenic's module computed them on this input.
        HostArray expectedMaps =
            Npy.read(dir.resolve(dev.tokenlearner.config.Fixtures.TOKEN_MAPS_FILE));
        HostArray maps = call(bundle, "token_maps", "token_maps", input);
        assertArrayEquals(expectedMaps.shape(), maps.shape(), set + " token maps shape");
        double diff = expectedMaps.maxAbsDiff(maps);
        assertTrue(diff <= MAPS_TOLERANCE, set + ": token maps max abs diff " + diff);
      }

      // Variables keep their Flax paths: every manifest entry is a VariableV2 op of that name.
      Map<String, Fixtures.ManifestEntry> manifest = Fixtures.manifest(set);
      for (Map.Entry<String, Fixtures.ManifestEntry> e : manifest.entrySet()) {
        GraphOperation op = bundle.graph().operation(e.getKey());
        assertNotNull(op, "no variable " + e.getKey());
        assertEquals("VariableV2", op.type(), e.getKey());
        assertEquals(Shape.of(e.getValue().shape()), op.output(0).shape(), e.getKey());
      }
    }

    ModelMetadata meta = ModelMetadata.read(out);
    assertEquals(cfg.model(), meta.model());
    assertEquals(cfg.input(), meta.input());
    assertEquals(Files.readString(dir.resolve("config.json")), meta.sourceConfig().orElseThrow());
    assertEquals(summary.checkpointFormat(), meta.provenance().get("checkpoint_format"));
    try (Stream<Path> left = Files.list(tmp)) {
      assertFalse(
          left.anyMatch(p -> p.getFileName().toString().startsWith(".model")),
          "temporary directories left behind");
    }
  }

  @Test
  void run_vitNpzNaming_reproducesReferenceLogits(@TempDir Path tmp) throws IOException {
    // The same parameters under the original ViT .npz names (pre-Linen blocks, 'head').
    Path dir = Fixtures.set("small_b16like");
    Path out = tmp.resolve("model");
    ImportSummary summary =
        ScenicImport.run(
            dir.resolve("vit_npz_naming.npz"),
            dir.resolve("config.json"),
            out,
            ImportOptions.strict(),
            false);
    assertEquals("vit-npz", summary.checkpointFormat());
    try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
      assertClose(
          Npy.read(dir.resolve("expected_logits.npy")),
          call(bundle, "serving_default", "logits", Npy.read(dir.resolve("input.npy"))),
          "npz logits");
    }
  }

  /**
   * {@code tanh(pooled @ pre_logits/kernel + pre_logits/bias)} in double precision: the fixtures'
   * pooled output is taken before {@code pre_logits}.
   */
  static HostArray preLogits(HostArray pooled, Checkpoint ckpt) {
    HostArray k = ckpt.params().get("pre_logits/kernel");
    HostArray b = ckpt.params().get("pre_logits/bias");
    int n = Math.toIntExact(pooled.shape()[0]);
    int d = Math.toIntExact(k.shape()[0]);
    int r = Math.toIntExact(k.shape()[1]);
    float[] out = new float[n * r];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < r; j++) {
        double acc = b.data()[j];
        for (int c = 0; c < d; c++) {
          acc += (double) pooled.data()[i * d + c] * k.data()[c * r + j];
        }
        out[i * r + j] = (float) Math.tanh(acc);
      }
    }
    return new HostArray(new long[] {n, r}, out);
  }

  /** Calls a signature through the bundle's own function API and copies the output out. */
  static HostArray call(SavedModelBundle bundle, String key, String output, HostArray input) {
    try (TFloat32 in =
            TFloat32.tensorOf(Shape.of(input.shape()), DataBuffers.of(input.data(), true, false));
        Result r = bundle.function(key).call(Map.of("images", in))) {
      Tensor t = r.get(output).orElseThrow(() -> new AssertionError("no output " + output));
      TFloat32 f = (TFloat32) t;
      float[] data = new float[Math.toIntExact(f.shape().size())];
      f.copyTo(DataBuffers.of(data, false, false));
      return new HostArray(f.shape().asArray(), data);
    }
  }

  static void assertClose(HostArray expected, HostArray actual, String what) {
    assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
    double err = expected.maxAbsDiff(actual);
    assertTrue(err <= TOLERANCE, what + ": max abs error " + err + " > " + TOLERANCE);
  }
}
