package dev.tokenlearner.checkpoint.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.core.HostArray;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NpyTest {

  @TempDir Path dir;

  /** A .npy file built by hand: given version, header dict text and little-endian data. */
  private static byte[] npy(int major, String dict, byte[] data) {
    int prefix = major == 1 ? 10 : 12;
    int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
    int headerLen = total - prefix;
    ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) {
      b.putShort((short) headerLen);
    } else {
      b.putInt(headerLen);
    }
    b.put(
        (dict + " ".repeat(headerLen - dict.length() - 1) + "\n").getBytes(StandardCharsets.UTF_8));
    b.put(data);
    return b.array();
  }

  private static HostArray read(byte[] bytes) throws IOException {
    return Npy.read(new ByteArrayInputStream(bytes), bytes.length, "test.npy");
  }

  @Test
  void read_expectedLogitsFixture_shapeIsBatchByClasses() throws IOException {
    for (String set : Fixtures.MSGPACK_SETS) {
      HostArray a = Npy.read(Fixtures.set(set).resolve("expected_logits.npy"));

      assertArrayEquals(new long[] {2, Fixtures.numClasses(set)}, a.shape(), set);
    }
  }

  @Test
  void read_videoInputFixture_fiveDimensional() throws IOException {
    HostArray a = Npy.read(Fixtures.set("tiny_video_3dconv").resolve("input.npy"));

    assertArrayEquals(new long[] {2, 4, 16, 16, 3}, a.shape());
    for (float v : a.data()) {
      assertTrue(v >= -1 && v <= 1, "input values are uniform in [-1, 1]");
    }
  }

  @Test
  void write_thenRead_bitExactAndNumpyHeaderBytes() throws IOException {
    // Reading a fixture and writing it back reproduces numpy's file byte for byte.
    Path fixture = Fixtures.set("tiny_video_3dconv").resolve("input.npy");
    HostArray a = Npy.read(fixture);
    Path f = dir.resolve("copy.npy");

    Npy.write(f, a);

    assertArrayEquals(Files.readAllBytes(fixture), Files.readAllBytes(f));
    assertEquals(a, Npy.read(f));
  }

  @ParameterizedTest(name = "rank {0}")
  @ValueSource(ints = {0, 1, 2, 4})
  void write_thenRead_roundTripsEveryRank(int rank) throws IOException {
    long[] shape = new long[rank];
    Arrays.fill(shape, 3);
    float[] d = new float[(int) HostArray.numElements(shape)];
    for (int i = 0; i < d.length; i++) {
      d[i] = i == 1 ? Float.NaN : i * 0.37f - 5;
    }
    HostArray a = new HostArray(shape, d);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    Npy.write(out, a);

    assertEquals(0, Npy.headerBytes(shape).length % 64);
    assertEquals(a, read(out.toByteArray()));
  }

  @Test
  void write_rank1_usesPythonOneTupleSyntax() {
    String h = new String(Npy.headerBytes(new long[] {5}), StandardCharsets.ISO_8859_1);

    assertTrue(h.contains("'shape': (5,), }"), h);
  }

  @ParameterizedTest(name = "version {0}")
  @ValueSource(ints = {1, 2, 3})
  void read_headerVersions_allAccepted(int major) throws IOException {
    byte[] data =
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array();

    HostArray a =
        read(npy(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data));

    assertArrayEquals(new float[] {1.5f, -2f}, a.data());
  }

  @Test
  void read_float64AndIntegers_convertedToFloat() throws IOException {
    byte[] f8 =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-3).array();
    byte[] i4 =
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-7).putInt(1 << 20).array();
    byte[] i8 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(123456789L).array();

    assertArrayEquals(
        new float[] {0.1f, -3f},
        read(npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f8)).data());
    assertArrayEquals(
        new float[] {-7f, 1 << 20},
        read(npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }", i4)).data());
    assertArrayEquals(
        new float[] {123456789f},
        read(npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", i8)).data());
  }

  @Test
  void read_fortranOrder_rejectedWithReason() {
    byte[] f = npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new byte[4]);

    NpyFormatException e = assertThrows(NpyFormatException.class, () -> read(f));
    assertTrue(e.getMessage().contains("fortran_order"), e.getMessage());
  }

  @Test
  void read_bigEndian_rejectedWithReason() {
    byte[] f = npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);

    NpyFormatException e = assertThrows(NpyFormatException.class, () -> read(f));
    assertTrue(e.getMessage().contains("big-endian"), e.getMessage());
  }

  @Test
  void read_unsupportedDtype_namesIt() {
    byte[] f = npy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]);

    NpyFormatException e = assertThrows(NpyFormatException.class, () -> read(f));
    assertTrue(e.getMessage().contains("<c8"), e.getMessage());
  }

  @Test
  void read_shapeLargerThanData_rejectedBeforeAllocating() {
    byte[] f =
        npy(
            1,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }",
            new byte[4]);

    NpyFormatException e = assertThrows(NpyFormatException.class, () -> read(f));
    assertTrue(e.getMessage().contains("test.npy"), e.getMessage());
  }

  @Test
  void read_truncatedFile_throws() throws IOException {
    byte[] all = Files.readAllBytes(Fixtures.set("tiny_v11").resolve("expected_logits.npy"));
    for (int n : new int[] {0, 5, 9, 60, all.length - 1}) {
      Path f = dir.resolve("cut" + n + ".npy");
      Files.write(f, Arrays.copyOf(all, n));

      assertThrows(NpyFormatException.class, () -> Npy.read(f), "first " + n + " bytes");
    }
  }

  @Test
  void read_notNpy_throwsNamingMagic() {
    byte[] f = "hello, this is not numpy data at all".getBytes(StandardCharsets.US_ASCII);

    NpyFormatException e = assertThrows(NpyFormatException.class, () -> read(f));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }
}
