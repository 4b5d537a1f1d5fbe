package dev.tokenlearner.checkpoint.orbax;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrbaxZarrReaderTest {

  @TempDir Path tmp;

  @Test
  void read_fixture_paramsMatchManifest() throws IOException {
    Checkpoint c = OrbaxZarrReader.read(OrbaxFixtures.zarrCheckpoint());
    OrbaxFixtures.assertMatchesManifest("scenic_orbax_zarr", c);
    assertEquals("orbax-zarr", c.format());
    assertEquals("params", c.layout());
  }

  @Test
  void read_fixture_elementValuesMatchIndependentDecode() throws IOException {
    Checkpoint c = OrbaxZarrReader.read(OrbaxFixtures.zarrCheckpoint());
    // Reference values decoded outside Java: `zstd -dc <array>/<chunk> | od -t f4` on the fixture
    // chunk files, and agreeing with TensorStore 0.1.85 (ts.open zarr driver, file kvstore).
    float[] scale = c.params().get("Transformer/encoder_norm/scale").data();
    assertEquals(0.8724852f, scale[0]);
    assertEquals(1.0696900f, scale[1], 1e-7);
    assertEquals(1.0030876f, scale[16], 1e-7);
    assertEquals(0.7060068f, scale[31], 1e-7);
    float[] head = c.params().get("output_projection/kernel").data(); // [32, 5]
    assertEquals(0.025219336f, head[0], 1e-9);
    assertEquals(0.13044028f, head[80], 1e-8); // element [16, 0]
    assertEquals(0.22338955f, head[159], 1e-8);
    float[] stem = c.params().get("embedding/kernel").data(); // [4, 4, 3, 32]
    assertEquals(0.0065133232f, stem[0], 1e-9);
    assertEquals(0.01717299f, stem[768], 1e-8);
    assertEquals(-0.26402953f, stem[1535], 1e-8);
    float[] query =
        c.params()
            .get("Transformer/encoderblock_1/MultiHeadDotProductAttention_0/query/kernel")
            .data();
    assertEquals(-0.027077835f, query[512], 1e-9);
  }

  @Test
  void read_fixtureInRenamedFolder_stepFromGlobalStepLeaf() throws IOException {
    Path copy = OrbaxFixtures.copyTree(OrbaxFixtures.zarrCheckpoint(), tmp.resolve("checkpoint_7"));
    // config.json of the fixture records global_step 1202; the folder name now says 7.
    assertEquals(OptionalLong.of(1202), OrbaxZarrReader.read(copy).step());
  }

  @Test
  void read_multiChunkArrays_assemblesChunksAndDropsEdgePadding() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("checkpoint_42"));
    float[] expected = new float[5 * 7];
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 7; j++) {
        expected[i * 7 + j] = i * 10 + j;
      }
    }
    // C order, '.' separator, zstd: 3 x 3 chunks of [2, 3], the last row and column padded.
    writeArray(dir, "params.block.kernel", new int[] {5, 7}, new int[] {2, 3}, false, ".", true);
    // Fortran order inside chunks, '/' separator, raw chunks.
    writeArray(dir, "params.block.fortran", new int[] {5, 7}, new int[] {4, 4}, true, "/", false);
    Checkpoint c = OrbaxZarrReader.read(dir);
    assertArrayEquals(expected, c.params().get("block/kernel").data());
    assertArrayEquals(expected, c.params().get("block/fortran").data());
    assertEquals(OptionalLong.of(42), c.step()); // no global_step leaf: from the folder name
  }

  @Test
  void read_absentChunkWithFillValue_usesFillValue() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("ckpt"));
    writeArray(dir, "params.w", new int[] {4}, new int[] {2}, false, ".", true);
    rewriteZarray(dir.resolve("params.w"), "\"fill_value\":null", "\"fill_value\":0.5");
    Files.delete(dir.resolve("params.w/1"));
    assertArrayEquals(
        new float[] {0, 1, 0.5f, 0.5f}, OrbaxZarrReader.read(dir).params().get("w").data());
  }

  @Test
  void read_absentChunkWithoutFillValue_throwsNamingChunk() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("ckpt"));
    writeArray(dir, "params.w", new int[] {4}, new int[] {2}, false, ".", true);
    Files.delete(dir.resolve("params.w/1"));
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> OrbaxZarrReader.read(dir));
    assertTrue(e.getMessage().contains("chunk '1'"), e.getMessage());
  }

  @Test
  void read_truncatedChunk_throws() throws IOException {
    Path copy = OrbaxFixtures.copyTree(OrbaxFixtures.zarrCheckpoint(), tmp.resolve("c"));
    Path chunk = copy.resolve("params.embedding.kernel/0.0.0.0");
    byte[] bytes = Files.readAllBytes(chunk);
    Files.write(chunk, Arrays.copyOf(bytes, bytes.length / 2));
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> OrbaxZarrReader.read(copy));
    assertTrue(e.getMessage().contains("params.embedding.kernel"), e.getMessage());
  }

  @Test
  void read_chunkOfWrongSize_throws() throws IOException {
    Path copy = OrbaxFixtures.copyTree(OrbaxFixtures.zarrCheckpoint(), tmp.resolve("c"));
    // A well-formed zstd frame that decodes to 31 instead of 32 float32 values.
    Files.write(
        copy.resolve("params.Transformer.encoder_norm.scale/0"), Zstd.compress(new byte[124]));
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> OrbaxZarrReader.read(copy));
    assertTrue(e.getMessage().contains("expected 128"), e.getMessage());
  }

  @Test
  void read_malformedZarray_throwsNamingArray() throws IOException {
    Path copy = OrbaxFixtures.copyTree(OrbaxFixtures.zarrCheckpoint(), tmp.resolve("c"));
    Files.writeString(copy.resolve("params.output_projection.bias/.zarray"), "{\"shape\": [5,");
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> OrbaxZarrReader.read(copy));
    assertTrue(e.getMessage().contains("params.output_projection.bias"), e.getMessage());
  }

  @Test
  void read_bfloat16Param_throwsNamingDtype() throws IOException {
    Path copy = OrbaxFixtures.copyTree(OrbaxFixtures.zarrCheckpoint(), tmp.resolve("c"));
    rewriteZarray(copy.resolve("params.output_projection.bias"), "\"<f4\"", "\"bfloat16\"");
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> OrbaxZarrReader.read(copy));
    assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
  }

  @Test
  void read_noParamsSubtree_throwsListingTopLevelKeys() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("ckpt"));
    writeArray(dir, "opt_state.mu.w", new int[] {2}, new int[] {2}, false, ".", true);
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> OrbaxZarrReader.read(dir));
    assertTrue(e.getMessage().contains("opt_state"), e.getMessage());
  }

  @Test
  void read_regularFile_throws() throws IOException {
    Path file = Files.writeString(tmp.resolve("checkpoint_1"), "not a folder");
    assertThrows(CheckpointFormatException.class, () -> OrbaxZarrReader.read(file));
  }

  @Test
  void read_scalarParam_hasEmptyShape() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("ckpt"));
    Path a = Files.createDirectories(dir.resolve("params.temperature"));
    Files.writeString(
        a.resolve(".zarray"),
        "{\"chunks\":[],\"compressor\":null,\"dtype\":\">f4\",\"fill_value\":null,"
            + "\"filters\":null,\"order\":\"C\",\"shape\":[],\"zarr_format\":2}");
    Files.write(
        a.resolve("0"), ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putFloat(2.5f).array());
    HostArray t = OrbaxZarrReader.read(dir).params().get("temperature");
    assertEquals(0, t.rank());
    assertEquals(2.5f, t.data()[0]);
  }

  /** Writes a float32 Zarr v2 array holding {@code 10 * i + j} (rank 2) or {@code i} (rank 1). */
  private static void writeArray(
      Path dir, String name, int[] shape, int[] chunks, boolean fortran, String sep, boolean zstd)
      throws IOException {
    Path a = Files.createDirectories(dir.resolve(name));
    String zarray =
        String.format(
            "{\"chunks\":%s,\"compressor\":%s,\"dimension_separator\":\"%s\",\"dtype\":\"<f4\","
                + "\"fill_value\":null,\"filters\":null,\"order\":\"%s\",\"shape\":%s,"
                + "\"zarr_format\":2}",
            Arrays.toString(chunks),
            zstd ? "{\"id\":\"zstd\",\"level\":1}" : "null",
            sep,
            fortran ? "F" : "C",
            Arrays.toString(shape));
    Files.writeString(a.resolve(".zarray"), zarray);
    int rank = shape.length;
    int rows = rank == 2 ? shape[0] : 1;
    int cols = shape[rank - 1];
    int cr = rank == 2 ? chunks[0] : 1;
    int cc = chunks[rank - 1];
    for (int gi = 0; gi * cr < rows; gi++) {
      for (int gj = 0; gj * cc < cols; gj++) {
        ByteBuffer b = ByteBuffer.allocate(cr * cc * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < cr * cc; k++) {
          // Position inside the chunk for storage index k.
          int li = fortran ? k % cr : k / cc;
          int lj = fortran ? k / cr : k % cc;
          int i = gi * cr + li;
          int j = gj * cc + lj;
          // Padding outside the array gets a value the reader must never show.
          float v = (i < rows && j < cols) ? (rank == 2 ? i * 10 + j : j) : -999f;
          b.putFloat(v);
        }
        byte[] raw = b.array();
        String key = rank == 2 ? gi + sep + gj : String.valueOf(gj);
        Path chunk = a.resolve(key);
        Files.createDirectories(chunk.getParent());
        Files.write(chunk, zstd ? Zstd.compress(raw) : raw);
      }
    }
  }

  private static void rewriteZarray(Path array, String from, String to) throws IOException {
    Path f = array.resolve(".zarray");
    String s = Files.readString(f, StandardCharsets.UTF_8);
    assertTrue(s.contains(from), s);
    Files.writeString(f, s.replace(from, to));
  }
}
