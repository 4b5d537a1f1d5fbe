package dev.tokenlearner.export;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.FuzzBounds;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.graph.preprocess.EvalPreprocessor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the image decoding {@code predict} and the trainer run: TensorFlow's decode ops (JPEG,
 * PNG, BMP, GIF) and the evaluation preprocessing behind them, through {@link ImageInputs}. Any
 * bytes either become a preprocessed image or fail with an {@link ImageFormatException}; the Java
 * side allocates within the bound of {@link FuzzBounds} (the pixels live in TensorFlow's memory).
 */
class ImageInputsFuzzTest {

  /** One preprocessor for all inputs: building its graph per input would dominate the run. */
  private static final EvalPreprocessor PREPROCESSOR =
      new EvalPreprocessor(
          new EvalPreprocessing(
              8, 8, 3, EvalPreprocessing.CROP_FRACTION_DEFAULT, Normalization.UNIT));

  @AfterAll
  static void close() {
    PREPROCESSOR.close();
  }

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void decode_anyBytes_preprocessedOrTypedError(byte[] data) throws Exception {
    float[] out = new float[PREPROCESSOR.outputSize()];
    FuzzBounds.withinBound(
        data.length,
        () -> {
          try {
            ImageInputs.decode(PREPROCESSOR, data, "fuzz", out, 0);
          } catch (ImageFormatException expected) {
            // a typed refusal is the right outcome for corrupt input
          }
        });
  }
}
