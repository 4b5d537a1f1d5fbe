package dev.tokenlearner.train.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.core.FuzzBounds;
import dev.tokenlearner.export.ImageDecoder;
import dev.tokenlearner.export.ImageFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the TFRecord reader: the framing of a whole file, and (behind valid framing) the {@code
 * tf.train.Example} parser and the image decoder the TFRecord dataset feeds. Any input either reads
 * or fails with a {@link TfRecordFormatException} or {@link ImageFormatException}, within the
 * allocation bound of {@link FuzzBounds} (images: what the decoder's pixel limit allows).
 */
class TfRecordFuzzTest {

  /** Bytes per pixel a decode may allocate: the ARGB raster plus decoder buffers. */
  private static final long BYTES_PER_PIXEL = 16;

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void readAll_anyFile_recordsOrTypedError(byte[] data) throws Exception {
    Path dir = FuzzBounds.scratch("tfrecord");
    try {
      Path file = Files.write(dir.resolve("train.tfrecord"), data);
      FuzzBounds.withinBound(
          data.length,
          () -> {
            try {
              TfRecords.readAll(file);
            } catch (TfRecordFormatException expected) {
              // a typed refusal is the right outcome for corrupt input
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void parseExample_anyRecord_imageOrTypedError(byte[] record) throws Exception {
    Path dir = FuzzBounds.scratch("example");
    try {
      ByteArrayOutputStream framed = new ByteArrayOutputStream();
      TfRecords.write(framed, record);
      Path file = Files.write(dir.resolve("train.tfrecord"), framed.toByteArray());
      FuzzBounds.withinBound(
          FuzzBounds.BASE_BYTES
              + BYTES_PER_PIXEL * ImageDecoder.MAX_PIXELS_PER_BYTE * record.length,
          record.length,
          () -> {
            try {
              for (TfRecords.Pointer p : TfRecords.index(file)) {
                TfExamples.LabelledImage ex = TfExamples.parse(TfRecords.read(p), file, p.offset());
                ImageDecoder.decode(ex.encoded(), file + "@" + p.offset());
              }
            } catch (TfRecordFormatException | ImageFormatException expected) {
              // as above
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }
}
