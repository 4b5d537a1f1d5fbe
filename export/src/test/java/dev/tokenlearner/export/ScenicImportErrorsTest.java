package dev.tokenlearner.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.weights.CheckpointMismatchException;
import dev.tokenlearner.weights.ImportOptions;
import dev.tokenlearner.weights.ParameterMismatch;
import dev.tokenlearner.weights.PositionEmbeddings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

class ScenicImportErrorsTest {

  private static final String SET = "tiny_v11";

  @Test
  void run_configWithOtherHiddenSize_oneErrorListsEveryWronglyShapedPath(@TempDir Path tmp)
      throws IOException {
    String json =
        Files.readString(Fixtures.set(SET).resolve("config.json"))
            .replace("\"hidden_size\": 32", "\"hidden_size\": 48");
    Path config = Files.writeString(tmp.resolve("config.json"), json);
    Path out = tmp.resolve("model");
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () ->
                ScenicImport.run(
                    Fixtures.checkpoint(SET), config, out, ImportOptions.strict(), false));
    String msg = e.getMessage();
    assertTrue(msg.contains("embedding/kernel: expected [4, 4, 3, 48], found [4, 4, 3, 32]"), msg);
    assertTrue(
        msg.contains(
            "Transformer/posembed_input/pos_embedding: expected [1, 16, 48], found [1, 16, 32]"),
        msg);
    assertTrue(msg.contains("output_projection/kernel: expected [48, 5], found [32, 5]"), msg);
    // Independently: every parameter with D = 32 in its shape, and every attention parameter
    // (head_dim = D / heads changes too), is reported; nothing else.
    Map<String, Fixtures.ManifestEntry> manifest = Fixtures.manifest(SET);
    long withHidden =
        manifest.entrySet().stream()
            .filter(
                m ->
                    Arrays.stream(m.getValue().shape()).anyMatch(d -> d == 32)
                        || m.getKey().contains("/MultiHeadDotProductAttention_0/"))
            .count();
    assertEquals(withHidden, e.mismatches().size());
    assertTrue(
        e.mismatches().stream().allMatch(m -> m.kind() == ParameterMismatch.Kind.WRONG_SHAPE));
    assertFalse(Files.exists(out));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(1, s.count(), "only the config is in the folder");
    }
  }

  @Test
  void run_outputExistsWithoutOverwrite_failsAndLeavesDirectoryUntouched(@TempDir Path tmp)
      throws IOException {
    Path out = tmp.resolve("model");
    Files.createDirectories(out.resolve("variables"));
    Files.writeString(out.resolve("saved_model.pb"), "old");
    assertThrows(
        FileAlreadyExistsException.class,
        () ->
            ScenicImport.run(
                Fixtures.checkpoint(SET),
                Fixtures.set(SET).resolve("config.json"),
                out,
                ImportOptions.strict(),
                false));
    assertEquals("old", Files.readString(out.resolve("saved_model.pb")));
    try (Stream<Path> s = Files.walk(out)) {
      assertEquals(3, s.count());
    }
  }

  /**
   * Writes a ViT-style {@code .npz}: tiny_patch's plain-ViT parameters with pre-Linen block names,
   * {@code head} for the classifier, a class token, {@code pre_logits}, and a position embedding
   * with a class-token row in front.
   */
  private static Path writeVitNpz(Path file) throws IOException {
    Map<String, HostArray> params = Checkpoints.read(Fixtures.checkpoint("tiny_patch")).params();
    Map<String, HostArray> vit = new TreeMap<>();
    for (Map.Entry<String, HostArray> e : params.entrySet()) {
      String k =
          e.getKey()
              .replace("/MultiHeadDotProductAttention_0/", "/MultiHeadDotProductAttention_1/")
              .replace("/LayerNorm_1/", "/LayerNorm_2/")
              .replace("/MlpBlock_0/", "/MlpBlock_3/")
              .replace("output_projection/", "head/");
      vit.put(k, e.getValue());
    }
    HostArray pos = params.get(PositionEmbeddings.PATH);
    float[] withCls = new float[pos.data().length + 32];
    Arrays.fill(withCls, 0, 32, 7f);
    System.arraycopy(pos.data(), 0, withCls, 32, pos.data().length);
    vit.put(PositionEmbeddings.PATH, new HostArray(new long[] {1, 17, 32}, withCls));
    vit.put("cls", HostArray.zeros(1, 1, 32));
    vit.put("pre_logits/kernel", HostArray.zeros(32, 32));
    vit.put("pre_logits/bias", HostArray.zeros(32));
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (Map.Entry<String, HostArray> e : vit.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Npy.write(bytes, e.getValue());
        zip.write(bytes.toByteArray());
        zip.closeEntry();
      }
    }
    return file;
  }

  @Test
  void run_vitNpzOntoTokenLearner_strictListsEveryDifference(@TempDir Path tmp) throws IOException {
    Path npz = writeVitNpz(tmp.resolve("vit.npz"));
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () ->
                ScenicImport.run(
                    npz,
                    Fixtures.set(SET).resolve("config.json"),
                    tmp.resolve("m"),
                    ImportOptions.strict(),
                    false));
    String msg = e.getMessage();
    assertTrue(msg.contains("6 missing, 3 unexpected, 1 wrongly shaped"), msg);
    assertTrue(
        msg.contains(
            "missing      Transformer/TokenLearnerModuleV11_0/token_masking/Dense_1/kernel: expected [64, 8]"),
        msg);
    assertTrue(msg.contains("unexpected   cls: found [1, 1, 32]"), msg);
    assertTrue(msg.contains("pos_embedding: expected [1, 16, 32], found [1, 17, 32]"), msg);
  }

  @Test
  void run_vitNpzOntoTokenLearnerWithInitFromVit_copiesEncoderAndInitialisesTokenLearner(
      @TempDir Path tmp) throws IOException {
    Path npz = writeVitNpz(tmp.resolve("vit.npz"));
    Path out = tmp.resolve("m");
    ImportSummary summary =
        ScenicImport.run(
            npz, Fixtures.set(SET).resolve("config.json"), out, ImportOptions.initFromVit(), false);
    Map<String, Fixtures.ManifestEntry> manifest = Fixtures.manifest(SET);
    List<String> tl =
        manifest.keySet().stream().filter(k -> k.contains("TokenLearnerModuleV11_0")).toList();
    assertEquals(tl, summary.fresh().stream().sorted().toList());
    assertEquals(List.of("cls", "pre_logits/bias", "pre_logits/kernel"), summary.ignored());
    assertEquals(1, summary.adapted().size());
    assertTrue(summary.warnings().stream().anyMatch(w -> w.contains(tl.get(0))));

    Map<String, HostArray> source = Checkpoints.read(Fixtures.checkpoint("tiny_patch")).params();
    try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
      // The class-token row is gone and the grid rows are the checkpoint's.
      assertEquals(source.get(PositionEmbeddings.PATH), variable(bundle, PositionEmbeddings.PATH));
      assertEquals(
          source.get("Transformer/encoderblock_2/MlpBlock_0/Dense_1/kernel"),
          variable(bundle, "Transformer/encoderblock_2/MlpBlock_0/Dense_1/kernel"));
      assertEquals(
          source.get("output_projection/kernel"), variable(bundle, "output_projection/kernel"));
      HostArray scale = variable(bundle, "Transformer/TokenLearnerModuleV11_0/LayerNorm_0/scale");
      for (float v : scale.data()) {
        assertEquals(1f, v, "fresh LayerNorm scale");
      }
    }
  }

  private static HostArray variable(SavedModelBundle bundle, String name) {
    try (Result r = bundle.session().runner().fetch(name).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] data = new float[Math.toIntExact(t.shape().size())];
      t.copyTo(DataBuffers.of(data, false, false));
      return new HostArray(t.shape().asArray(), data);
    }
  }
}
