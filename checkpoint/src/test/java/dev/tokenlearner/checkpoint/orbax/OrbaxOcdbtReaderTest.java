package dev.tokenlearner.checkpoint.orbax;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrbaxOcdbtReaderTest {

  /** The fixture's top-level B+tree root: one leaf node of 382 keys, 18852 bytes. */
  private static final String ROOT_NODE_FILE = "d/373ae5cd0de1f72bcfe02dec63f75f16";

  private static final int ROOT_NODE_LENGTH = 18852;

  /** The data file holding the out-of-line params chunks (the rest are inline in the leaf). */
  private static final String PARAMS_VALUE_FILE =
      "ocdbt.process_0/d/2da942bc96378b85c4d2a1892efdf546";

  @TempDir Path tmp;

  @Test
  void read_fixture_paramsMatchManifest() throws IOException {
    Checkpoint c = OrbaxOcdbtReader.read(OrbaxFixtures.ocdbtCheckpoint());
    OrbaxFixtures.assertMatchesManifest("scenic_orbax_ocdbt", c);
    assertEquals("orbax-ocdbt", c.format());
    assertEquals("params", c.layout());
  }

  @Test
  void read_fixture_elementValuesMatchTensorStore() throws IOException {
    Checkpoint c = OrbaxOcdbtReader.read(OrbaxFixtures.ocdbtCheckpoint());
    // Reference values read once with TensorStore 0.1.85 in Python:
    // ts.open({'driver': 'zarr', 'kvstore': {'driver': 'ocdbt', 'base': 'file://<checkpoint>',
    //          'path': '<array name>/'}}).result().read().result().ravel()[index]
    float[] scale = c.params().get("Transformer/encoder_norm/scale").data();
    assertEquals(1.0204291343688965f, scale[0]);
    assertEquals(0.9970901608467102f, scale[1]);
    assertEquals(0.9215251207351685f, scale[16]);
    assertEquals(1.205385684967041f, scale[31]);
    float[] stem = c.params().get("embedding/kernel").data(); // [4, 4, 3, 32]
    assertEquals(0.10040001571178436f, stem[0]);
    assertEquals(0.293139785528183f, stem[768]);
    assertEquals(-0.23243649303913116f, stem[1535]);
    float[] query =
        c.params()
            .get("Transformer/encoderblock_1/MultiHeadDotProductAttention_0/query/kernel")
            .data();
    assertEquals(0.15776312351226807f, query[0]);
    assertEquals(0.18397736549377441f, query[512]);
    assertEquals(-0.002229460747912526f, query[1023]);
    float[] head = c.params().get("output_projection/kernel").data(); // [32, 5]
    assertEquals(-0.020891249179840088f, head[0]);
    assertEquals(-0.3295953571796417f, head[80]);
    assertEquals(-0.009643166325986385f, head[159]);
  }

  @Test
  void read_fixtureInRenamedFolder_stepFromGlobalStepLeaf() throws IOException {
    Path copy =
        OrbaxFixtures.copyTree(OrbaxFixtures.ocdbtCheckpoint(), tmp.resolve("checkpoint_7"));
    // config.json of the fixture records global_step 1201; the folder name now says 7.
    assertEquals(OptionalLong.of(1201), OrbaxOcdbtReader.read(copy).step());
  }

  @Test
  void read_withoutTopLevelManifest_readsProcessDatabaseAlike() throws IOException {
    Path copy = OrbaxFixtures.copyTree(OrbaxFixtures.ocdbtCheckpoint(), tmp.resolve("c"));
    Files.delete(copy.resolve("manifest.ocdbt"));
    Checkpoint direct = OrbaxOcdbtReader.read(copy);
    Checkpoint merged = OrbaxOcdbtReader.read(OrbaxFixtures.ocdbtCheckpoint());
    assertEquals(merged.params(), direct.params());
  }

  @Test
  void read_deepTreeWrittenByTensorStore_readsEveryChunk() throws Exception {
    // Seven B+tree levels, eight versions, inline and out-of-line values, zstd nodes.
    assertDenseSample(OrbaxOcdbtReader.read(resource("ocdbt_deep_tree")));
  }

  @Test
  void read_numberedUncompressedManifest_readsNewestGeneration() throws Exception {
    // manifest_kind 'numbered' (versions in manifest.<generation>), uncompressed nodes.
    assertDenseSample(OrbaxOcdbtReader.read(resource("ocdbt_numbered_uncompressed")));
  }

  /** The arrays written by make_ocdbt_samples.py (test resources), from its formulas. */
  private static void assertDenseSample(Checkpoint c) {
    float[] kernel = new float[20 * 13];
    for (int k = 0; k < kernel.length; k++) {
      kernel[k] = k * 0.25f - 7;
    }
    assertEquals("[20, 13]", c.params().get("dense/kernel").shapeString());
    assertArrayEquals(kernel, c.params().get("dense/kernel").data());
    assertArrayEquals(new float[] {1.5f, -2.25f, 3.0f}, c.params().get("dense/bias").data());
    assertEquals(OptionalLong.of(77), c.step());
  }

  // --- damaged copies of the fixture ---

  @Test
  void read_flippedByteInNode_throwsChecksumError() throws IOException {
    Path copy = copyFixture();
    Path node = copy.resolve(ROOT_NODE_FILE);
    byte[] b = Files.readAllBytes(node);
    b[b.length / 2] ^= 0x10;
    Files.write(node, b);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("CRC-32C"), e.getMessage());
    assertTrue(e.getMessage().contains("373ae5cd"), e.getMessage());
  }

  @Test
  void read_truncatedManifest_throwsLengthError() throws IOException {
    Path copy = copyFixture();
    Path manifest = copy.resolve("manifest.ocdbt");
    byte[] b = Files.readAllBytes(manifest);
    Files.write(manifest, Arrays.copyOf(b, b.length - 10));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("header says 118 bytes"), e.getMessage());
  }

  @Test
  void read_wrongMagic_throws() throws IOException {
    Path copy = copyFixture();
    Path manifest = copy.resolve("manifest.ocdbt");
    byte[] b = Files.readAllBytes(manifest);
    b[0] = 0x7f;
    Files.write(manifest, b);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }

  @Test
  void read_truncatedValueFile_throwsPastEnd() throws IOException {
    Path copy = copyFixture();
    Path data = copy.resolve(PARAMS_VALUE_FILE);
    byte[] b = Files.readAllBytes(data);
    Files.write(data, Arrays.copyOf(b, 1000));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("past the end"), e.getMessage());
  }

  @Test
  void read_missingDataFile_throws() throws IOException {
    Path copy = copyFixture();
    Files.delete(copy.resolve(PARAMS_VALUE_FILE));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void read_noManifestAnywhere_throws() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("checkpoint_3"));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(dir));
    assertTrue(e.getMessage().contains("manifest.ocdbt"), e.getMessage());
  }

  // --- hostile manifests with valid checksums (built here; the root node is the fixture's) ---

  @Test
  void read_rebuiltManifest_readsFixture() throws IOException {
    // Guards the builder below: a faithful manifest must read like the original.
    Path copy = copyFixture();
    writeManifest(copy, manifestBody(ROOT_NODE_FILE, 0, 0, ROOT_NODE_LENGTH));
    assertEquals(
        OrbaxOcdbtReader.read(OrbaxFixtures.ocdbtCheckpoint()).params(), read(copy).params());
  }

  @Test
  void read_dataFilePathLeavingCheckpoint_throws() throws IOException {
    Path copy = copyFixture();
    writeManifest(copy, manifestBody("../outside/d/x", 0, 0, ROOT_NODE_LENGTH));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("outside the checkpoint directory"), e.getMessage());
  }

  @Test
  void read_dataFilePathNamingAFolder_throwsNamingIt() throws IOException {
    Path copy = copyFixture();
    // "d" is the folder that holds the data files: a fuzz finding read it as a file.
    writeManifest(copy, manifestBody("d", 0, 0, ROOT_NODE_LENGTH));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("data file is a directory"), e.getMessage());
  }

  @Test
  void read_dataFileIdOutOfTable_throws() throws IOException {
    Path copy = copyFixture();
    writeManifest(copy, manifestBody(ROOT_NODE_FILE, 3, 0, ROOT_NODE_LENGTH));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("outside the table of 1 files"), e.getMessage());
  }

  @Test
  void read_rootRangePastFileEnd_throws() throws IOException {
    Path copy = copyFixture();
    writeManifest(copy, manifestBody(ROOT_NODE_FILE, 0, 100, ROOT_NODE_LENGTH));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("past the end"), e.getMessage());
  }

  @Test
  void read_rootRangeNotANode_throwsMagic() throws IOException {
    Path copy = copyFixture();
    writeManifest(copy, manifestBody(ROOT_NODE_FILE, 0, 1, ROOT_NODE_LENGTH - 1));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }

  @Test
  void read_manifestBodyCutShort_throwsTruncated() throws IOException {
    Path copy = copyFixture();
    byte[] body = manifestBody(ROOT_NODE_FILE, 0, 0, ROOT_NODE_LENGTH);
    writeManifest(copy, Arrays.copyOf(body, body.length - 6));
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("OCDBT manifest"), e.getMessage());
  }

  @Test
  void read_hugeVersionCount_throwsBeforeAllocating() throws IOException {
    Path copy = copyFixture();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(config());
    b.write(0); // empty data file table
    b.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}); // 16 million versions
    writeManifest(copy, b.toByteArray());
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("num_versions"), e.getMessage());
  }

  @Test
  void read_overlongVarint_throws() throws IOException {
    Path copy = copyFixture();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(config());
    for (int i = 0; i < 11; i++) {
      b.write(0x80); // a varint that never ends within 64 bits
    }
    b.write(0);
    writeManifest(copy, b.toByteArray());
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("does not fit in 64 bits"), e.getMessage());
  }

  @Test
  void read_unknownCompressionFormat_throws() throws IOException {
    Path copy = copyFixture();
    byte[] encoded = envelope(manifestBody(ROOT_NODE_FILE, 0, 0, ROOT_NODE_LENGTH), 7);
    Files.write(copy.resolve("manifest.ocdbt"), encoded);
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> read(copy));
    assertTrue(e.getMessage().contains("compression format 7"), e.getMessage());
  }

  private Path copyFixture() {
    return OrbaxFixtures.copyTree(OrbaxFixtures.ocdbtCheckpoint(), tmp.resolve("checkpoint_1201"));
  }

  private static Checkpoint read(Path dir) throws IOException {
    return OrbaxOcdbtReader.read(dir);
  }

  private Path resource(String name) throws URISyntaxException {
    return Path.of(getClass().getResource(name).toURI());
  }

  /** Configuration: uuid, kind single, inline limit, node limit, arity log2 4, no compression. */
  private static byte[] config() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(new byte[16]);
    b.write(0);
    varint(b, 100);
    varint(b, 1 << 20);
    b.write(4);
    varint(b, 0);
    return b.toByteArray();
  }

  /** A single-kind manifest body with one data file and one version whose root is given. */
  private static byte[] manifestBody(String path, long fileId, long offset, long length) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(config());
    byte[] p = path.getBytes(StandardCharsets.US_ASCII);
    varint(b, 1); // one data file: no prefix lengths, suffix length, base length 0, bytes
    varint(b, p.length);
    varint(b, 0);
    b.writeBytes(p);
    varint(b, 1); // one version
    varint(b, 1); // generation
    b.write(0); // root height
    varint(b, fileId);
    varint(b, offset);
    varint(b, length);
    varint(b, 382); // statistics, not checked by the reader
    varint(b, length);
    varint(b, 0);
    b.writeBytes(new byte[8]); // commit time
    varint(b, 0); // no version tree nodes
    return b.toByteArray();
  }

  private static void writeManifest(Path dir, byte[] body) throws IOException {
    Files.write(dir.resolve("manifest.ocdbt"), envelope(body, 0));
  }

  /** Frames a body as the OCDBT format does: magic, length, version 0, compression, CRC-32C. */
  private static byte[] envelope(byte[] body, int compression) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(new byte[] {0x0c, (byte) 0xdb, 0x3a, 0x2a});
    long length = 4L + 8 + 1 + 1 + body.length + 4;
    for (int i = 0; i < 8; i++) {
      b.write((int) (length >>> (8 * i)));
    }
    b.write(0);
    b.write(compression);
    b.writeBytes(body);
    CRC32C crc = new CRC32C();
    crc.update(b.toByteArray());
    int v = (int) crc.getValue();
    for (int i = 0; i < 4; i++) {
      b.write(v >>> (8 * i));
    }
    return b.toByteArray();
  }

  private static void varint(ByteArrayOutputStream b, long v) {
    while ((v & ~0x7fL) != 0) {
      b.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    b.write((int) v);
  }
}
