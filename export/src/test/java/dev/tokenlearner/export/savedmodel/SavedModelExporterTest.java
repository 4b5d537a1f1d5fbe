package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.SavedModel;

class SavedModelExporterTest {

  private static final String SET = "tiny_v11";
  private static ExperimentConfig config;
  private static Map<String, HostArray> weights;
  private static HostArray input;
  private static HostArray expectedLogits;

  @BeforeAll
  static void readFixture() throws IOException {
    Path dir = Fixtures.set(SET);
    config = ConfigLoader.load(dir.resolve("config.json"));
    weights = Checkpoints.read(Fixtures.checkpoint(SET)).params();
    input = Npy.read(dir.resolve("input.npy"));
    expectedLogits = Npy.read(dir.resolve("expected_logits.npy"));
  }

  private static SavedModelExporter exporter() {
    return SavedModelExporter.of(ExportSpec.of(config, Optional.of("model: {}\n")));
  }

  /** The weights with {@code output_projection/bias} shifted by {@code delta}. */
  private static Map<String, HostArray> shiftedHead(float delta) {
    Map<String, HostArray> w = new HashMap<>(weights);
    HostArray b = w.get("output_projection/bias");
    float[] data = b.data().clone();
    for (int i = 0; i < data.length; i++) {
      data[i] += delta;
    }
    w.put("output_projection/bias", new HostArray(b.shape(), data));
    return w;
  }

  private static List<String> siblings(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir.getParent())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static HostArray logits(Path model) throws IOException {
    try (ServingModel m = ServingModel.load(model)) {
      return m.run(Signatures.SERVING_DEFAULT, input);
    }
  }

  @Test
  void export_newTarget_writesModelThatReproducesReference(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("m");
    ExportResult r = exporter().export(out, weights);
    assertEquals(weights.size(), r.parameterTensors());
    assertTrue(Files.isRegularFile(out.resolve("saved_model.pb")));
    assertTrue(Files.isRegularFile(out.resolve("assets.extra/tokenlearner_config.yaml")));
    assertTrue(expectedLogits.maxAbsDiff(logits(out)) <= 1e-4);
    assertEquals(List.of("m"), siblings(out));
    // What Python's builder writes; TFLite's converter takes the graph as is only with it.
    SavedModel proto = SavedModel.parseFrom(Files.readAllBytes(out.resolve("saved_model.pb")));
    assertEquals(1, proto.getSavedModelSchemaVersion());
    assertEquals(
        Signatures.keys(true).stream().sorted().toList(),
        proto.getMetaGraphs(0).getSignatureDefMap().keySet().stream().sorted().toList());
  }

  @Test
  void export_targetExistsWithoutOverwrite_refusesAndLeavesItUntouched(@TempDir Path tmp)
      throws IOException {
    Path out = tmp.resolve("m");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "mine");
    assertThrows(FileAlreadyExistsException.class, () -> exporter().export(out, weights));
    assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(1, s.count());
    }
    assertEquals(List.of("m"), siblings(out));
  }

  @Test
  void export_overwrite_replacesExistingModel(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("m");
    exporter().export(out, weights);
    HostArray before = logits(out);
    exporter().overwrite(true).export(out, shiftedHead(1f));
    HostArray after = logits(out);
    for (int i = 0; i < before.data().length; i++) {
      assertEquals(before.data()[i] + 1f, after.data()[i], 1e-5f);
    }
    assertEquals(List.of("m"), siblings(out));
  }

  @Test
  void export_failureBeforeCommit_leavesNoTargetAndNoTemporaryFiles(@TempDir Path tmp) {
    Path out = tmp.resolve("m");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                exporter()
                    .withStageHook(
                        stage -> {
                          // The stage is complete here: the failure hits a finished model.
                          assertTrue(Files.exists(stage.resolve("saved_model.pb")));
                          throw new IOException("disk full");
                        })
                    .export(out, weights));
    assertEquals("disk full", e.getMessage());
    assertFalse(Files.exists(out));
    assertTrue(tmp.toFile().list().length == 0, "left behind: " + List.of(tmp.toFile().list()));
  }

  @Test
  void export_failureBeforeCommitWithOverwrite_keepsPreviousModel(@TempDir Path tmp)
      throws IOException {
    Path out = tmp.resolve("m");
    exporter().export(out, weights);
    byte[] pb = Files.readAllBytes(out.resolve("saved_model.pb"));
    assertThrows(
        IOException.class,
        () ->
            exporter()
                .overwrite(true)
                .withStageHook(
                    stage -> {
                      throw new IOException("interrupted");
                    })
                .export(out, shiftedHead(5f)));
    assertArrayEquals(pb, Files.readAllBytes(out.resolve("saved_model.pb")));
    assertTrue(expectedLogits.maxAbsDiff(logits(out)) <= 1e-4);
    assertEquals(List.of("m"), siblings(out));
  }

  @Test
  void export_weightsMissingParameter_throwsAndWritesNothing(@TempDir Path tmp) {
    Path out = tmp.resolve("m");
    Map<String, HostArray> w = new HashMap<>(weights);
    w.remove("Transformer/encoder_norm/scale");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> exporter().export(out, w));
    assertTrue(e.getMessage().contains("Transformer/encoder_norm/scale"), e.getMessage());
    assertFalse(Files.exists(out));
    assertEquals(0, tmp.toFile().list().length);
  }

  @Test
  void servingModel_chunkSizeOne_matchesWholeBatchAndReference(@TempDir Path tmp)
      throws IOException {
    Path out = tmp.resolve("m");
    exporter().export(out, weights);
    // Five examples: the fixture's two, repeated, so chunks of 1 split unevenly against 32.
    int per = input.data().length / 2;
    float[] five = new float[5 * per];
    for (int i = 0; i < 5; i++) {
      System.arraycopy(input.data(), (i % 2) * per, five, i * per, per);
    }
    long[] shape = input.shape().clone();
    shape[0] = 5;
    HostArray batch = new HostArray(shape, five);
    HostArray whole;
    HostArray chunked;
    try (ServingModel m = ServingModel.load(out)) {
      whole = m.run(Signatures.SERVING_DEFAULT, batch);
    }
    try (ServingModel m = ServingModel.load(out, 1)) {
      chunked = m.run(Signatures.SERVING_DEFAULT, batch);
    }
    assertArrayEquals(new long[] {5, 5}, chunked.shape());
    assertTrue(whole.maxAbsDiff(chunked) <= 1e-5);
    int c = Math.toIntExact(expectedLogits.shape()[1]);
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < c; j++) {
        assertEquals(expectedLogits.data()[(i % 2) * c + j], chunked.data()[i * c + j], 1e-4);
      }
    }
  }

  @Test
  void servingModel_wrongInputShape_throwsNamingBothShapes(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("m");
    exporter().export(out, weights);
    try (ServingModel m = ServingModel.load(out)) {
      assertArrayEquals(new long[] {-1, 16, 16, 3}, m.inputShape(Signatures.SERVING_DEFAULT));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> m.run(Signatures.SERVING_DEFAULT, HostArray.zeros(1, 8, 8, 3)));
      assertTrue(e.getMessage().contains("[-1, 16, 16, 3]"), e.getMessage());
      assertTrue(e.getMessage().contains("[1, 8, 8, 3]"), e.getMessage());
      IllegalArgumentException unknown =
          assertThrows(IllegalArgumentException.class, () -> m.run("nope", input));
      assertTrue(unknown.getMessage().contains("serving_default"), unknown.getMessage());
    }
  }

  @Test
  void servingModel_metadata_readsBackStoredConfig(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("m");
    exporter().export(out, weights);
    try (ServingModel m = ServingModel.load(out)) {
      ModelMetadata meta = m.metadata().orElseThrow();
      assertEquals(config.model(), meta.model());
      assertEquals(config.input(), meta.input());
      assertEquals(Normalization.ZERO_CENTERED, meta.normalization());
      assertEquals(Optional.of("model: {}\n"), meta.sourceConfig());
      assertEquals(m.signatures(), meta.signatures().stream().sorted().toList());
      assertEquals(config.model(), meta.experimentConfig().model());
    }
  }
}
