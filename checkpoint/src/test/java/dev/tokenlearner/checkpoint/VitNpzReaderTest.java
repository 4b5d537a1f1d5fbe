package dev.tokenlearner.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.HostArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VitNpzReaderTest {

  @TempDir Path dir;

  private static HostArray arr(float... v) {
    return new HostArray(new long[] {v.length}, v);
  }

  /** Writes an .npz the way np.savez does: one '<key>.npy' entry per array. */
  private static Path npz(Path file, Map<String, Object> entries) throws IOException {
    try (OutputStream out = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, Object> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
        if (e.getValue() instanceof HostArray a) {
          Npy.write(zip, a);
        } else {
          zip.write((byte[]) e.getValue());
        }
        zip.closeEntry();
      }
    }
    return file;
  }

  /** A 0-d '<i4' .npy holding {@code v}. */
  private static byte[] int32Scalar(int v) {
    String header = "{'descr': '<i4', 'fortran_order': False, 'shape': (), }";
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int total = 10 + header.length() + 1;
    int padded = (total + 63) / 64 * 64;
    b.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.writeBytes(
        ByteBuffer.allocate(2)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putShort((short) (padded - 10))
            .array());
    b.writeBytes(
        (header + " ".repeat(padded - total) + "\n").getBytes(StandardCharsets.ISO_8859_1));
    b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    return b.toByteArray();
  }

  @Test
  void read_fixtureNpz_equalsMsgpackParamsBitExactly() throws IOException {
    Checkpoint npz = VitNpzReader.read(Fixtures.set("small_b16like").resolve("vit_npz_naming.npz"));
    Checkpoint msgpack = FlaxMsgpackReader.read(Fixtures.checkpoint("small_b16like"));

    assertEquals(List.copyOf(msgpack.params().keySet()), List.copyOf(npz.params().keySet()));
    // HostArray equality compares float bits (Arrays.equals on float[]).
    assertEquals(msgpack.params(), npz.params());
    assertEquals(VitNpzReader.LAYOUT_ROOT, npz.layout());
    assertEquals(OptionalLong.empty(), npz.step());
  }

  @Test
  void read_vitNpz_keepsClsAndPreLogitsRenamesHead() throws IOException {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("cls", arr(1));
    e.put("pre_logits/kernel", arr(2));
    e.put("head/kernel", arr(3));
    e.put("Transformer/encoderblock_0/MlpBlock_3/Dense_0/bias", arr(4));
    e.put("Transformer/encoderblock_0/MlpBlock_3/Dense_1/bias", arr(5));

    Checkpoint c = VitNpzReader.read(npz(dir.resolve("B_16-i21k.npz"), e));

    assertEquals(
        List.of(
            "Transformer/encoderblock_0/MlpBlock_0/Dense_0/bias",
            "Transformer/encoderblock_0/MlpBlock_0/Dense_1/bias",
            "cls",
            "output_projection/kernel",
            "pre_logits/kernel"),
        List.copyOf(c.params().keySet()));
    assertEquals(arr(3), c.params().get("output_projection/kernel"));
  }

  @Test
  void read_bigVisionOptTarget_usesTargetAndStep() throws IOException {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("opt/target/head/bias", arr(1, 2));
    e.put("opt/target/embedding/bias", arr(3));
    e.put("opt/state/step", int32Scalar(4321));
    e.put("opt/state/mu/head/bias", arr(9, 9)); // optimizer slot, must be ignored

    Checkpoint c = VitNpzReader.read(npz(dir.resolve("bv.npz"), e));

    assertEquals(VitNpzReader.LAYOUT_OPT_TARGET, c.layout());
    assertEquals(
        List.of("embedding/bias", "output_projection/bias"), List.copyOf(c.params().keySet()));
    assertEquals(OptionalLong.of(4321), c.step());
  }

  @Test
  void read_bigVisionParams_stripsPrefix() throws IOException {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("params/Transformer/encoder_norm/scale", arr(1));

    Checkpoint c = VitNpzReader.read(npz(dir.resolve("bv.npz"), e));

    assertEquals(VitNpzReader.LAYOUT_PARAMS, c.layout());
    assertEquals(List.of("Transformer/encoder_norm/scale"), List.copyOf(c.params().keySet()));
  }

  @Test
  void read_nonFloatParameter_throwsNamingKey() throws IOException {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("embedding/bias", int32Scalar(1));

    CheckpointFormatException ex =
        assertThrows(
            CheckpointFormatException.class, () -> VitNpzReader.read(npz(dir.resolve("x.npz"), e)));
    assertTrue(ex.getMessage().contains("embedding/bias"), ex.getMessage());
    assertTrue(ex.getMessage().contains("<i4"), ex.getMessage());
  }

  @Test
  void read_truncatedNpz_throwsNamingFile() throws IOException {
    byte[] all = Files.readAllBytes(Fixtures.set("small_b16like").resolve("vit_npz_naming.npz"));
    Path f = dir.resolve("cut.npz");
    Files.write(f, java.util.Arrays.copyOf(all, all.length / 2));

    CheckpointFormatException ex =
        assertThrows(CheckpointFormatException.class, () -> VitNpzReader.read(f));
    assertEquals(f, ex.file());
  }

  @Test
  void read_corruptNpyHeaderInEntry_throws() throws IOException {
    byte[] npy = int32Scalar(5);
    npy[1] = 'X'; // breaks the magic
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("w", npy);

    CheckpointFormatException ex =
        assertThrows(
            CheckpointFormatException.class, () -> VitNpzReader.read(npz(dir.resolve("x.npz"), e)));
    assertTrue(ex.getMessage().contains("magic"), ex.getMessage());
  }
}
