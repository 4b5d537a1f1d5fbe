package dev.tokenlearner.export;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.core.FuzzBounds;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes image decoding (JPEG, PNG, BMP, GIF through {@code javax.imageio}): any bytes either
 * decode or fail with an {@link ImageFormatException}, and the decoder allocates no more than the
 * pixel limit that the encoded size allows ({@link ImageDecoder#MAX_PIXELS_PER_BYTE}).
 */
class ImageDecoderFuzzTest {

  /** Bytes per pixel a decode may allocate: the ARGB raster plus decoder buffers. */
  private static final long BYTES_PER_PIXEL = 16;

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void decode_anyBytes_imageOrTypedError(byte[] data) throws Exception {
    FuzzBounds.withinBound(
        FuzzBounds.BASE_BYTES + BYTES_PER_PIXEL * ImageDecoder.MAX_PIXELS_PER_BYTE * data.length,
        data.length,
        () -> {
          try {
            ImageDecoder.decode(data, "fuzz");
          } catch (ImageFormatException expected) {
            // a typed refusal is the right outcome for corrupt input
          }
        });
  }
}
