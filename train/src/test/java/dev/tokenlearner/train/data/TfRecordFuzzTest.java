package dev.tokenlearner.train.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.core.FuzzBounds;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the TFRecord reader: the framing of a whole file, and (behind valid framing) the {@code
 * tf.train.Example} parser the TFRecord dataset feeds. Any input either reads or fails with a
 * {@link TfRecordFormatException}, within the allocation bound of {@link FuzzBounds}. The image
 * bytes inside go to TensorFlow's decode ops, fuzzed by the export module's {@code
 * ImageInputsFuzzTest}.
 */
class TfRecordFuzzTest {

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
          record.length,
          () -> {
            try {
              for (TfRecords.Pointer p : TfRecords.index(file)) {
                TfExamples.parse(TfRecords.read(p), file, p.offset());
              }
            } catch (TfRecordFormatException expected) {
              // as above
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }
}
