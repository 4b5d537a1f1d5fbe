package dev.tokenlearner.train.data;

import dev.tokenlearner.core.InvalidInputException;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, read and written in Java (TF Java's own TFRecord reader op is broken in 1.1.0).
 *
 * <p>Each record is {@code uint64 length | uint32 masked_crc32c(length) | byte[length] data |
 * uint32 masked_crc32c(data)}, all little-endian, where {@code masked(c) = ((c >>> 15) | (c << 17))
 * + 0xa282ead8}. Both checksums are verified on read.
 */
public final class TfRecords {

  /** Bytes before a record's data: the length and its checksum. */
  public static final int HEADER_BYTES = 12;

  /** Bytes after a record's data: the data checksum. */
  public static final int FOOTER_BYTES = 4;

  private static final int MASK_DELTA = 0xa282ead8;

  /** Records longer than this are taken as corruption rather than allocated. */
  private static final long MAX_RECORD_BYTES = 1L << 30;

  private TfRecords() {}

  /**
   * Where one record's data lies in a file.
   *
   * @param file the file
   * @param offset byte offset of the record's header
   * @param length length of its data
   */
  public record Pointer(Path file, long offset, int length) {}

  /**
   * TFRecord's masked CRC-32C of {@code data[from, from+len)}.
   *
   * @param data the bytes
   * @param from first byte
   * @param len number of bytes
   * @return the masked checksum
   */
  public static int maskedCrc32c(byte[] data, int from, int len) {
    CRC32C c = new CRC32C();
    c.update(data, from, len);
    int crc = (int) c.getValue();
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /**
   * Writes one record.
   *
   * @param out the stream
   * @param data the record's bytes
   * @throws IOException if the stream fails
   */
  public static void write(OutputStream out, byte[] data) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(data.length);
    header.putInt(maskedCrc32c(header.array(), 0, 8));
    out.write(header.array());
    out.write(data);
    ByteBuffer footer = ByteBuffer.allocate(FOOTER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    footer.putInt(maskedCrc32c(data, 0, data.length));
    out.write(footer.array());
  }

  /**
   * Scans a file's record headers (checking each length checksum) without reading the data.
   *
   * @param file a TFRecord file (uncompressed)
   * @return the records in file order
   * @throws TfRecordFormatException if a header is truncated, its checksum is wrong or a length
   *     runs past the end of the file
   * @throws IOException if the file cannot be read
   */
  public static List<Pointer> index(Path file) throws IOException {
    List<Pointer> out = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long pos = 0;
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      while (pos < size) {
        if (size - pos < HEADER_BYTES) {
          throw new TfRecordFormatException(
              file,
              pos,
              "truncated record header: " + (size - pos) + " of " + HEADER_BYTES + " bytes");
        }
        header.clear();
        readFully(ch, header, pos, file);
        long length = header.getLong(0);
        int expected = maskedCrc32c(header.array(), 0, 8);
        int found = header.getInt(8);
        if (expected != found) {
          throw new TfRecordFormatException(
              file,
              pos,
              String.format(
                  "length checksum mismatch: expected %08x, found %08x", expected, found));
        }
        long end = pos + HEADER_BYTES + length + FOOTER_BYTES;
        if (length < 0 || length > MAX_RECORD_BYTES || end > size) {
          throw new TfRecordFormatException(
              file,
              pos,
              "record length " + length + " runs past the end of the file (" + size + " bytes)");
        }
        out.add(new Pointer(file, pos, (int) length));
        pos = end;
      }
    }
    return out;
  }

  /**
   * Reads one record's data and checks its checksum.
   *
   * @param p where the record is
   * @return the data
   * @throws TfRecordFormatException if the data checksum does not match
   * @throws IOException if the file cannot be read
   */
  public static byte[] read(Pointer p) throws IOException {
    try (FileChannel ch = FileChannel.open(p.file(), StandardOpenOption.READ)) {
      return read(ch, p);
    }
  }

  /**
   * Reads one record's data from an open channel and checks its checksum.
   *
   * @param ch a channel on {@code p.file()}
   * @param p where the record is
   * @return the data
   * @throws TfRecordFormatException if the data checksum does not match
   * @throws IOException if the file cannot be read
   */
  public static byte[] read(FileChannel ch, Pointer p) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(p.length() + FOOTER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, buf, p.offset() + HEADER_BYTES, p.file());
    byte[] all = buf.array();
    int expected = maskedCrc32c(all, 0, p.length());
    int found = buf.getInt(p.length());
    if (expected != found) {
      throw new TfRecordFormatException(
          p.file(),
          p.offset(),
          String.format("data checksum mismatch: expected %08x, found %08x", expected, found));
    }
    byte[] data = new byte[p.length()];
    System.arraycopy(all, 0, data, 0, p.length());
    return data;
  }

  /**
   * Reads every record of a file, in order, checking all checksums.
   *
   * @param file the file
   * @return the records' data
   * @throws TfRecordFormatException if framing or a checksum is wrong
   * @throws IOException if the file cannot be read
   */
  public static List<byte[]> readAll(Path file) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (Pointer p : index(file)) {
        out.add(read(ch, p));
      }
    }
    return out;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file)
      throws IOException {
    long at = pos;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, at);
      if (n < 0) {
        throw new EOFException(file + ": unexpected end of file at byte " + at);
      }
      at += n;
    }
    buf.flip();
  }

  /** A TFRecord source's records, split into training and held-out ones. */
  public record Split(List<Pointer> train, List<Pointer> eval) {
    /** Copies the lists. */
    public Split {
      train = List.copyOf(train);
      eval = List.copyOf(eval);
    }
  }

  /**
   * Indexes a TFRecord file or a folder of them and splits its records: files named {@code *train*}
   * train and files named {@code *val*}, {@code *eval*} or {@code *test*} are held out when both
   * kinds exist; otherwise every {@code holdOutEvery}-th record is held out.
   *
   * @param source a file, or a folder whose regular files (not hidden) are read in name order
   * @param holdOutEvery one record in this many is held out when the files do not say
   * @param what what a record is, for messages ({@code records}, {@code clips})
   * @return both splits, in file and record order
   * @throws TfRecordFormatException if a record header is corrupt
   * @throws InvalidInputException if there are no files, or either split is empty
   */
  public static Split split(Path source, int holdOutEvery, String what) throws IOException {
    List<Path> files;
    if (Files.isDirectory(source)) {
      try (Stream<Path> s = Files.list(source)) {
        files =
            s.filter(Files::isRegularFile)
                .filter(f -> !f.getFileName().toString().startsWith("."))
                .sorted()
                .toList();
      }
    } else {
      files = List.of(source);
    }
    if (files.isEmpty()) {
      throw new InvalidInputException(source + ": no TFRecord files");
    }
    List<Path> trainFiles = files.stream().filter(f -> lowerName(f).contains("train")).toList();
    List<Path> evalFiles =
        files.stream()
            .filter(f -> !lowerName(f).contains("train"))
            .filter(
                f ->
                    lowerName(f).contains("val")
                        || lowerName(f).contains("eval")
                        || lowerName(f).contains("test"))
            .toList();
    List<Pointer> train = new ArrayList<>();
    List<Pointer> eval = new ArrayList<>();
    if (!trainFiles.isEmpty() && !evalFiles.isEmpty()) {
      for (Path f : trainFiles) {
        train.addAll(index(f));
      }
      for (Path f : evalFiles) {
        eval.addAll(index(f));
      }
    } else {
      int i = 0;
      for (Path f : files) {
        for (Pointer p : index(f)) {
          (i++ % holdOutEvery == holdOutEvery - 1 ? eval : train).add(p);
        }
      }
    }
    if (train.isEmpty()) {
      throw new InvalidInputException(source + ": no training " + what);
    }
    if (eval.isEmpty()) {
      throw new InvalidInputException(
          source
              + ": no held-out "
              + what
              + " (need a *val*/*test* file or >= "
              + holdOutEvery
              + " "
              + what
              + ")");
    }
    return new Split(train, eval);
  }

  private static String lowerName(Path p) {
    return p.getFileName().toString().toLowerCase(Locale.ROOT);
  }
}
