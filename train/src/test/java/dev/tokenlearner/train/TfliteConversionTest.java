package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.ScenicImport;
import dev.tokenlearner.export.WorkdirExport;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import dev.tokenlearner.weights.ImportOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exports convert with TensorFlow's TFLite converter and the TFLite interpreter reproduces them:
 * imports of the Scenic fixtures (square, rectangular, TokenFuser, video) and a briefly trained
 * model go through {@code scripts/tflite-convert.py}, which needs a Python with tensorflow named by
 * the {@code tokenlearner.python} property or {@code TOKENLEARNER_PYTHON}; skipped without one.
 */
class TfliteConversionTest {

  private static final double TOLERANCE = 1e-4;
  private static final long TIMEOUT_MINUTES = 10;

  private static Path python;

  @TempDir Path dir;

  @BeforeAll
  static void findPython() {
    String p = System.getProperty("tokenlearner.python", System.getenv("TOKENLEARNER_PYTHON"));
    assumeTrue(
        p != null && !p.isBlank(),
        "no Python with tensorflow: set -Dtokenlearner.python or TOKENLEARNER_PYTHON to run the"
            + " TFLite conversion");
    python = Path.of(p);
  }

  /** Runs the script; returns its JSON report and the TFLite serving_default logits. */
  private record Conversion(JsonObject report, HostArray logits) {}

  private Conversion convert(Path model, Path input, List<String> signatures)
      throws IOException, InterruptedException {
    Path logits = dir.resolve("tflite_logits.npy");
    Path log = dir.resolve("convert.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(python.toString());
    cmd.add(
        Fixtures.root().getParent().getParent().resolve("scripts/tflite-convert.py").toString());
    cmd.addAll(List.of(model.toString(), dir.resolve("model.tflite").toString()));
    cmd.addAll(List.of("--signatures", String.join(",", signatures)));
    cmd.addAll(List.of("--input", input.toString(), "--save-logits", logits.toString()));
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(log.toFile())
            .redirectOutput(dir.resolve("convert.json").toFile())
            .start();
    if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("conversion still running after " + TIMEOUT_MINUTES + " min");
    }
    String out = Files.readString(dir.resolve("convert.json"), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.exitValue(), () -> out + "\n" + tail(log));
    assertTrue(Files.size(dir.resolve("model.tflite")) > 0);
    return new Conversion(JsonParser.parseString(out).getAsJsonObject(), Npy.read(logits));
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.substring(Math.max(0, s.length() - 4000));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Every converted signature's TFLite output is within the tolerance of TensorFlow's. */
  private static void assertAllClose(JsonObject report, List<String> signatures) {
    JsonObject sigs = report.getAsJsonObject("signatures");
    assertEquals(signatures.stream().sorted().toList(), sigs.keySet().stream().sorted().toList());
    for (String k : sigs.keySet()) {
      double d = sigs.getAsJsonObject(k).get("max_abs_diff").getAsDouble();
      assertTrue(d <= TOLERANCE, k + ": TFLite differs from TensorFlow by " + d);
    }
  }

  /** The signatures that take float images: all but serving_bytes (image decoding, see docs). */
  private static List<String> floatSignatures(Path model) throws IOException {
    try (ServingModel m = ServingModel.load(model)) {
      return m.signatures().stream().filter(s -> !s.equals(Signatures.SERVING_BYTES)).toList();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny_v11", "tiny_rect", "tiny_rect_fuser", "tiny_v1_fuser"})
  void importedFixture_convertsAndTfliteReproducesScenicLogits(String set) throws Exception {
    convertFixture(set);
  }

  @Test
  void importedVideoFixture_3dConv_convertsAndTfliteReproducesScenicLogits() throws Exception {
    convertFixture("tiny_video_3dconv");
  }

  private void convertFixture(String set) throws Exception {
    Path model = dir.resolve("model");
    ScenicImport.run(
        Fixtures.checkpoint(set),
        Fixtures.set(set).resolve("config.json"),
        model,
        ImportOptions.strict(),
        false);
    List<String> signatures = floatSignatures(model);
    Conversion c = convert(model, Fixtures.set(set).resolve("input.npy"), signatures);
    assertAllClose(c.report(), signatures);
    HostArray expected = Npy.read(Fixtures.set(set).resolve("expected_logits.npy"));
    assertArrayEquals(expected.shape(), c.logits().shape());
    double d = expected.maxAbsDiff(c.logits());
    assertTrue(d <= TOLERANCE, set + ": TFLite logits differ from Scenic's by " + d);
  }

  @Test
  void videoTemporalSampling_convertsAndTfliteMatchesTensorFlow() throws Exception {
    Map<String, Object> doc = Fixtures.config("tiny_video_3dconv");
    @SuppressWarnings("unchecked")
    Map<String, Object> model = new LinkedHashMap<>((Map<String, Object>) doc.get("model"));
    @SuppressWarnings("unchecked")
    Map<String, Object> tokenizer =
        new LinkedHashMap<>((Map<String, Object>) model.get("tokenizer"));
    tokenizer.put("patches", Map.of("size", List.of(4, 4)));
    tokenizer.put(
        "temporal_encoding_config", Map.of("method", "temporal_sampling", "n_sampled_frames", 2));
    model.put("tokenizer", tokenizer);
    doc.put("model", model);
    ExperimentConfig cfg = ConfigLoader.fromMap(doc, "tiny_video_temporal_sampling");
    Path out = dir.resolve("model");
    // Initialised, not trained: the head starts at zero, so the other signatures carry the check.
    SavedModelExporter.of(ExportSpec.of(cfg, Optional.empty()))
        .export(out, (session, store) -> session.initialize());
    List<String> signatures = floatSignatures(out);
    Conversion c = convert(out, Fixtures.set("tiny_video_3dconv").resolve("input.npy"), signatures);
    assertAllClose(c.report(), signatures);
  }

  @Test
  void trainedModel_convertsAndTfliteReproducesServedLogits() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("num_training_steps: 3");
    Path work = dir.resolve("work");
    TrainSummary s =
        Trainer.run(cfg, work, false, Optional.empty(), TrainOptions.quiet().withFinalModel(true));
    FinalModel f = s.finalModel().orElseThrow();
    Path model =
        WorkdirExport.write(
            cfg, work, f.params(), f.checkpoint(), f.labels(), f.sampleImages(), f.sampleLabels());
    Path sample = work.resolve(WorkdirExport.SAMPLE_NPY);
    List<String> signatures = floatSignatures(model);
    Conversion c = convert(model, sample, signatures);
    assertAllClose(c.report(), signatures);
    HostArray served;
    try (ServingModel m = ServingModel.load(model)) {
      served = m.run(Signatures.SERVING_DEFAULT, Npy.read(sample));
    }
    assertArrayEquals(served.shape(), c.logits().shape());
    double d = served.maxAbsDiff(c.logits());
    assertTrue(d <= TOLERANCE, "TFLite logits differ from the served model's by " + d);
  }
}
