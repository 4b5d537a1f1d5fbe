package dev.tokenlearner.train.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.core.FuzzBounds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the dataset readers that {@link TfRecordFuzzTest} does not reach: Fashion-MNIST's IDX
 * files (plain and gzipped) and the DMVR {@code tf.train.SequenceExample} clip parser. Any input
 * either reads or fails with a {@link DatasetFormatException} or {@link TfRecordFormatException},
 * within the allocation bound of {@link FuzzBounds}. The frames' image bytes go to TensorFlow's
 * decode ops, fuzzed by the export module's {@code ImageInputsFuzzTest}.
 */
class DatasetFuzzTest {

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void readIdx_anyFile_arrayOrTypedError(byte[] data) throws Exception {
    Path dir = FuzzBounds.scratch("idx");
    try {
      Path plain = Files.write(dir.resolve("train-images-idx3-ubyte"), data);
      Path gz = Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), data);
      FuzzBounds.withinBound(
          data.length,
          () -> {
            for (Path f : new Path[] {plain, gz}) {
              try {
                FashionMnistDataset.readImages(f);
              } catch (DatasetFormatException expected) {
                // a typed refusal is the right outcome for corrupt input
              }
              try {
                FashionMnistDataset.readLabels(f);
              } catch (DatasetFormatException expected) {
                // as above
              }
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void parseClip_anyRecord_framesOrTypedError(byte[] record) throws Exception {
    Path file = Path.of("clips.tfrecord");
    FuzzBounds.withinBound(
        record.length,
        () -> {
          try {
            VideoTfRecordDataset.parse(record, file, 0, 10, 1);
          } catch (TfRecordFormatException expected) {
            // as above
          }
        });
  }
}
