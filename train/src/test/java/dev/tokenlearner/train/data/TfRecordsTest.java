package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfRecordsTest {

  @TempDir Path dir;

  private Path write(String name, byte[]... records) throws IOException {
    Path f = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(f)) {
      for (byte[] r : records) {
        TfRecords.write(out, r);
      }
    }
    return f;
  }

  @Test
  void maskedCrc32c_knownVectors_matchCrc32cAndTfMask() {
    // CRC-32C("123456789") = 0xE3069283 (the standard check value); TF masks it.
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    int crc = 0xE3069283;
    int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    assertEquals(masked, TfRecords.maskedCrc32c(check, 0, check.length));
  }

  @Test
  void write_oneRecord_hasTfRecordFraming() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TfRecords.write(out, new byte[] {1, 2, 3});
    byte[] b = out.toByteArray();
    assertEquals(8 + 4 + 3 + 4, b.length);
    assertEquals(3, b[0]); // little-endian uint64 length
    for (int i = 1; i < 8; i++) {
      assertEquals(0, b[i]);
    }
    assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOfRange(b, 12, 15));
  }

  @Test
  void readAll_writtenRecords_roundTrip() throws IOException {
    byte[] a = "first".getBytes(StandardCharsets.UTF_8);
    byte[] b = new byte[0];
    byte[] c = new byte[70_000];
    for (int i = 0; i < c.length; i++) {
      c[i] = (byte) (i * 31);
    }
    Path f = write("ok.tfrecord", a, b, c);
    List<byte[]> back = TfRecords.readAll(f);
    assertEquals(3, back.size());
    assertArrayEquals(a, back.get(0));
    assertArrayEquals(b, back.get(1));
    assertArrayEquals(c, back.get(2));
    List<TfRecords.Pointer> idx = TfRecords.index(f);
    assertEquals(List.of(0L, 21L, 37L), idx.stream().map(TfRecords.Pointer::offset).toList());
  }

  @Test
  void read_corruptedDataByte_throwsDataChecksumMismatch() throws IOException {
    Path f =
        write(
            "bad.tfrecord",
            "abc".getBytes(StandardCharsets.UTF_8),
            "hello world".getBytes(StandardCharsets.UTF_8));
    byte[] bytes = Files.readAllBytes(f);
    bytes[19 + 12 + 4] ^= 0x40; // a data byte of the second record (which starts at byte 19)
    Files.write(f, bytes);
    List<TfRecords.Pointer> idx = TfRecords.index(f); // headers are still fine
    assertEquals(2, idx.size());
    TfRecords.read(idx.get(0));
    TfRecordFormatException e =
        assertThrows(TfRecordFormatException.class, () -> TfRecords.read(idx.get(1)));
    assertTrue(e.getMessage().contains("data checksum mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains("at byte 19"), e.getMessage());
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
  }

  @Test
  void index_corruptedLength_throwsLengthChecksumMismatch() throws IOException {
    Path f = write("badlen.tfrecord", "abc".getBytes(StandardCharsets.UTF_8));
    byte[] bytes = Files.readAllBytes(f);
    bytes[0] = 2;
    Files.write(f, bytes);
    TfRecordFormatException e =
        assertThrows(TfRecordFormatException.class, () -> TfRecords.index(f));
    assertTrue(e.getMessage().contains("length checksum mismatch"), e.getMessage());
  }

  @Test
  void index_truncatedFile_throwsNamingTheEnd() throws IOException {
    Path f = write("short.tfrecord", "abcdef".getBytes(StandardCharsets.UTF_8));
    byte[] bytes = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 3));
    TfRecordFormatException e =
        assertThrows(TfRecordFormatException.class, () -> TfRecords.index(f));
    assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
  }
}
