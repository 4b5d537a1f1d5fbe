package dev.tokenlearner.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.checkpoint.npy.NpyFormatException;
import dev.tokenlearner.checkpoint.orbax.OrbaxZarrReader;
import dev.tokenlearner.core.FuzzBounds;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;

/**
 * Headers that claim far more data than the file holds (2^40 elements, 2 GiB strings, a 1 GiB array
 * with no stored chunks) are refused with a typed error before anything that large is allocated:
 * each read here stays within {@link FuzzBounds}' allocation bound.
 */
class HugeHeadersTest {

  private static final long TERA = 1L << 40;

  private static <T extends Throwable> T refusedWithinBound(
      Class<T> type, long inputBytes, FuzzBounds.Body body) throws Exception {
    T[] caught = newArray(type);
    FuzzBounds.withinBound(inputBytes, () -> caught[0] = assertThrows(type, () -> body.run()));
    return caught[0];
  }

  @SuppressWarnings("unchecked")
  private static <T> T[] newArray(Class<T> type) {
    return (T[]) java.lang.reflect.Array.newInstance(type, 1);
  }

  private static byte[] msgpack(MsgpackBody body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MessagePacker pk = MessagePack.newDefaultPacker(out)) {
      body.pack(pk);
    }
    return out.toByteArray();
  }

  @FunctionalInterface
  private interface MsgpackBody {
    void pack(MessagePacker pk) throws IOException;
  }

  /** {@code {"params": {"w": <value>}}}. */
  private static void params(MessagePacker pk, MsgpackBody value) throws IOException {
    pk.packMapHeader(1).packString("params").packMapHeader(1).packString("w");
    value.pack(pk);
  }

  @Test
  void flaxMsgpack_ndarrayOf2To40Elements_refusedBeforeAllocating(@TempDir Path tmp)
      throws Exception {
    byte[] file =
        msgpack(
            pk ->
                params(
                    pk,
                    p -> {
                      byte[] nd =
                          msgpack(
                              q -> {
                                q.packArrayHeader(3);
                                q.packArrayHeader(2).packLong(1 << 20).packLong(1 << 20);
                                q.packString("float32");
                                q.packBinaryHeader(8).writePayload(new byte[8]);
                              });
                      p.packExtensionTypeHeader((byte) 1, nd.length).writePayload(nd);
                    }));
    Path f = Files.write(tmp.resolve("checkpoint_1"), file);
    CheckpointFormatException e =
        refusedWithinBound(
            CheckpointFormatException.class, file.length, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("params/w"), e.getMessage());
  }

  @Test
  void flaxMsgpack_chunkedArrayOf2To40Elements_refusedBeforeAllocating(@TempDir Path tmp)
      throws Exception {
    byte[] file =
        msgpack(
            pk ->
                params(
                    pk,
                    p -> {
                      p.packMapHeader(3).packString(FlaxMsgpackParser.CHUNKED_MARKER);
                      p.packBoolean(true);
                      p.packString("shape").packMapHeader(1).packString("0").packLong(TERA);
                      p.packString("chunks").packMapHeader(0);
                    }));
    Path f = Files.write(tmp.resolve("checkpoint_1"), file);
    CheckpointFormatException e =
        refusedWithinBound(
            CheckpointFormatException.class, file.length, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains(Long.toString(TERA)), e.getMessage());
  }

  @Test
  void flaxMsgpack_keyClaiming2GiB_refusedBeforeAllocating(@TempDir Path tmp) throws Exception {
    byte[] head = msgpack(pk -> pk.packMapHeader(1).packRawStringHeader(Integer.MAX_VALUE));
    byte[] file = new byte[head.length + 16];
    System.arraycopy(head, 0, file, 0, head.length);
    Path f = Files.write(tmp.resolve("checkpoint_1"), file);
    CheckpointFormatException e =
        refusedWithinBound(
            CheckpointFormatException.class, file.length, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("bytes left"), e.getMessage());
  }

  @Test
  void npy_shapeOf2To40Elements_refusedBeforeAllocating() throws Exception {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + TERA + ",), }";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    out.write(dict.length() + 1);
    out.write(0);
    out.writeBytes((dict + "\n").getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(new byte[16]);
    byte[] file = out.toByteArray();
    NpyFormatException e =
        refusedWithinBound(
            NpyFormatException.class,
            file.length,
            () -> Npy.read(new ByteArrayInputStream(file), file.length, "huge.npy"));
    assertTrue(
        e.getMessage().contains("16 data bytes") || e.getMessage().contains("found 16"),
        e.getMessage());
  }

  @Test
  void orbaxZarr_1GiBArrayWithoutStoredChunks_refusedBeforeAllocating(@TempDir Path tmp)
      throws Exception {
    Path array = Files.createDirectories(tmp.resolve("checkpoint_3").resolve("params.w"));
    byte[] zarray =
        ("{\"chunks\":[1024],\"compressor\":null,\"dtype\":\"<f4\",\"fill_value\":0.0,"
                + "\"filters\":null,\"order\":\"C\",\"shape\":[268435456],\"zarr_format\":2}")
            .getBytes(StandardCharsets.UTF_8);
    Files.write(array.resolve(".zarray"), zarray);
    Path dir = array.getParent();
    CheckpointFormatException e =
        refusedWithinBound(
            CheckpointFormatException.class, zarray.length, () -> OrbaxZarrReader.read(dir));
    assertTrue(e.getMessage().contains("stored chunk bytes"), e.getMessage());
  }

  @Test
  void orbaxZarr_shapeOf2To40Elements_refusedBeforeAllocating(@TempDir Path tmp) throws Exception {
    Path array = Files.createDirectories(tmp.resolve("checkpoint_3").resolve("params.w"));
    byte[] zarray =
        ("{\"chunks\":[1024],\"compressor\":null,\"dtype\":\"<f4\",\"fill_value\":0.0,"
                + "\"filters\":null,\"order\":\"C\",\"shape\":["
                + TERA
                + "],\"zarr_format\":2}")
            .getBytes(StandardCharsets.UTF_8);
    Files.write(array.resolve(".zarray"), zarray);
    Path dir = array.getParent();
    CheckpointFormatException e =
        refusedWithinBound(
            CheckpointFormatException.class, zarray.length, () -> OrbaxZarrReader.read(dir));
    assertTrue(e.getMessage().contains(Long.toString(TERA)), e.getMessage());
  }
}
