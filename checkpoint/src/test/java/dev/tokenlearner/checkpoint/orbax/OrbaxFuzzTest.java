package dev.tokenlearner.checkpoint.orbax;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import dev.tokenlearner.checkpoint.FuzzInput;
import dev.tokenlearner.core.FuzzBounds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the Orbax readers: Zarr {@code .zarray} metadata with its chunks, a whole Zarr checkpoint
 * ({@code _METADATA} plus one array), and the OCDBT manifest and B+tree nodes. The OCDBT targets
 * wrap the fuzz bytes in a valid envelope (magic, length, CRC-32C) so the decoders behind the
 * checksum are reached. Any input either reads or fails with a {@link CheckpointFormatException},
 * within the allocation bound of {@link FuzzBounds}.
 */
class OrbaxFuzzTest {

  /** zstd can expand a frame by up to about 2^15 (RLE blocks); chunks are bounded by that. */
  private static final long ZSTD_EXPANSION = 1 << 16;

  private static final String NODE_FILE = "d/fuzznode";

  private static Path ocdbtRoot;

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void zarrArray_anyMetadataAndChunk_bytesOrTypedError(byte[] data) throws Exception {
    byte[][] parts = FuzzInput.split(data, 2);
    Path file = Path.of("fuzz/.zarray");
    FuzzBounds.withinBound(
        FuzzBounds.BASE_BYTES + ZSTD_EXPANSION * data.length,
        data.length,
        () -> {
          try {
            ZarrArrayMetadata meta = ZarrArrayMetadata.parse(parts[0], file, "fuzz");
            // One chunk is stored, under the first grid position's key in either separator.
            ZarrArrayReader.ChunkSource source =
                new ZarrArrayReader.ChunkSource() {
                  @Override
                  public Collection<String> keys() {
                    int rank = meta.shape().length;
                    return List.of(
                        String.join(".", Collections.nCopies(Math.max(rank, 1), "0")),
                        String.join("/", Collections.nCopies(Math.max(rank, 1), "0")),
                        ".zarray");
                  }

                  @Override
                  public byte[] read(String key) {
                    return key.startsWith("0") ? parts[1] : null;
                  }
                };
            if (meta.isFloat32()) {
              ZarrArrayReader.readFloat32(meta, source, file, "fuzz");
            } else if (meta.kind() != 'f') {
              ZarrArrayReader.readIntegerScalar(meta, source, file, "fuzz");
            } else {
              ZarrArrayReader.readBytes(meta, source, file, "fuzz");
            }
          } catch (CheckpointFormatException expected) {
            // a typed refusal is the right outcome for corrupt input
          }
        });
  }

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void zarrCheckpoint_anyFiles_checkpointOrTypedError(byte[] data) throws Exception {
    byte[][] parts = FuzzInput.split(data, 3);
    Path dir = FuzzBounds.scratch("zarr");
    try {
      Path ckpt = Files.createDirectories(dir.resolve("checkpoint_7"));
      Files.write(ckpt.resolve("_METADATA"), parts[0]);
      Path array = Files.createDirectories(ckpt.resolve("params.Dense_0.kernel"));
      Files.write(array.resolve(".zarray"), parts[1]);
      Files.write(array.resolve("0"), parts[2]);
      Files.write(array.resolve("0.0"), parts[2]);
      FuzzBounds.withinBound(
          FuzzBounds.BASE_BYTES + ZSTD_EXPANSION * data.length,
          data.length,
          () -> {
            try {
              OrbaxZarrReader.read(ckpt);
            } catch (CheckpointFormatException expected) {
              // as above
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void ocdbtManifest_anyBody_databaseOrTypedError(byte[] data) throws Exception {
    Path root = ocdbtRoot();
    Files.write(root.resolve("manifest.ocdbt"), envelope(OcdbtEnvelope.MANIFEST_MAGIC, data));
    FuzzBounds.withinBound(
        data.length,
        () -> {
          try {
            OcdbtDatabase.open(root).entries();
          } catch (CheckpointFormatException expected) {
            // as above
          }
        });
  }

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void ocdbtNode_anyBody_databaseOrTypedError(byte[] data) throws Exception {
    if (data.length == 0) {
      return;
    }
    Path root = ocdbtRoot();
    byte[] node =
        envelope(
            OcdbtEnvelope.BTREE_NODE_MAGIC, java.util.Arrays.copyOfRange(data, 1, data.length));
    Files.write(root.resolve(NODE_FILE), node);
    Files.write(
        root.resolve("manifest.ocdbt"),
        envelope(OcdbtEnvelope.MANIFEST_MAGIC, manifestBody(data[0] & 0xff, node.length)));
    FuzzBounds.withinBound(
        data.length,
        () -> {
          try {
            OcdbtDatabase.open(root).entries();
          } catch (CheckpointFormatException expected) {
            // as above
          }
        });
  }

  /** A database folder holding the fixture's data files; the targets rewrite its manifest. */
  private static synchronized Path ocdbtRoot() throws IOException {
    if (ocdbtRoot == null) {
      Path root = FuzzBounds.scratch("ocdbt");
      Path source = OrbaxFixtures.ocdbtCheckpoint().resolve("ocdbt.process_0/d");
      Path d = Files.createDirectories(root.resolve("d"));
      try (Stream<Path> files = Files.list(source)) {
        files.forEach(
            f -> {
              try {
                Files.copy(f, d.resolve(f.getFileName().toString()));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
      }
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      FuzzBounds.delete(root);
                    } catch (IOException ignored) {
                      // a leftover temp folder is harmless
                    }
                  }));
      ocdbtRoot = root;
    }
    return ocdbtRoot;
  }

  /** Frames {@code body} as TensorStore does, uncompressed: magic, length, version, CRC-32C. */
  static byte[] envelope(int magic, byte[] body) {
    int total = 4 + 8 + 1 + 1 + body.length + 4;
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(Integer.reverseBytes(magic)).putLong(total).put((byte) 0).put((byte) 0).put(body);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, total - 4);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /** A single-version manifest whose root is the whole of {@link #NODE_FILE}. */
  static byte[] manifestBody(int rootHeight, int nodeLength) {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    m.writeBytes(new byte[16]); // uuid
    m.write(0); // manifest kind: single
    varint(m, 100); // max inline value bytes
    varint(m, 1 << 20); // max decoded node bytes
    m.write(4); // version tree arity log2
    varint(m, 0); // no compression
    byte[] path = NODE_FILE.getBytes(StandardCharsets.US_ASCII);
    varint(m, 1); // one data file
    varint(m, path.length); // suffix length
    varint(m, 2); // base path "d/"
    m.writeBytes(path);
    varint(m, 1); // one version
    varint(m, 1); // generation 1
    m.write(rootHeight);
    varint(m, 0); // data file id
    varint(m, 0); // offset
    varint(m, nodeLength); // length
    varint(m, 0); // statistics: keys, tree bytes, indirect bytes
    varint(m, 0);
    varint(m, 0);
    m.writeBytes(new byte[8]); // commit time
    varint(m, 0); // no version tree nodes
    return m.toByteArray();
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
