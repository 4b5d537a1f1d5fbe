package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class TrainPreprocessingTest {

  private static final EvalPreprocessing SPEC =
      new EvalPreprocessing(16, 16, 3, EvalPreprocessing.CROP_FRACTION_DEFAULT, Normalization.NONE);

  /** A smooth gradient image (so JPEG keeps it close), encoded in {@code format}. */
  private static byte[] gradient(int w, int h, String format) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | 128);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  @Test
  void run_sameRandomSeed_sameOutputAndOtherSeedDiffers() throws IOException {
    byte[] jpg = gradient(120, 80, "jpg");
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      float[] a = new float[p.outputSize()];
      float[] b = new float[p.outputSize()];
      float[] c = new float[p.outputSize()];
      p.run(jpg, "a.jpg", new SplittableRandom(5), a, 0);
      p.run(jpg, "a.jpg", new SplittableRandom(5), b, 0);
      p.run(jpg, "a.jpg", new SplittableRandom(6), c, 0);
      assertArrayEquals(a, b, 0f);
      assertFalse(Arrays.equals(a, c));
    }
  }

  @Test
  void runPixels_sameRandomness_isTheFloatOutputRounded() throws IOException {
    byte[] png = gradient(90, 70, "png");
    byte[] jpg = gradient(90, 70, "jpg");
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      for (byte[] image : new byte[][] {png, jpg}) {
        for (long seed = 0; seed < 4; seed++) {
          float[] f = new float[p.outputSize()];
          byte[] px = new byte[p.outputSize() + 5];
          p.run(image, "a", new SplittableRandom(seed), f, 0);
          p.runPixels(image, "a", new SplittableRandom(seed), px, 5);
          for (int i = 0; i < f.length; i++) {
            // NONE: the float output is the unnormalised pixel value.
            assertEquals(Math.rint(f[i]), px[5 + i] & 0xff, 0, "seed " + seed + " value " + i);
          }
        }
      }
    }
  }

  @Test
  void run_jpegCropWindowDecode_matchesWholeImageDecodeWithSameBox() throws IOException {
    byte[] jpg = gradient(120, 80, "jpg");
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      for (long seed = 0; seed < 4; seed++) {
        float[] window = new float[p.outputSize()];
        float[] whole = new float[p.outputSize()];
        p.run(jpg, "a.jpg", new SplittableRandom(seed), window, 0, true);
        p.run(jpg, "a.jpg", new SplittableRandom(seed), whole, 0, false);
        double worst = 0;
        for (int i = 0; i < window.length; i++) {
          worst = Math.max(worst, Math.abs(window[i] - whole[i]));
        }
        // Same box; the two libjpeg paths may differ by a few levels at block edges.
        assertTrue(worst <= 8, "seed " + seed + ": max difference " + worst);
      }
    }
  }

  @Test
  void run_crop_staysInsideImageAndFollowsGradient() throws IOException {
    // Red grows with x: a crop of the image keeps red increasing left to right unless flipped.
    byte[] png = gradient(200, 100, "png");
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      int increasing = 0;
      int decreasing = 0;
      for (long seed = 0; seed < 20; seed++) {
        float[] x = new float[p.outputSize()];
        p.run(png, "a.png", new SplittableRandom(seed), x, 0);
        for (float v : x) {
          assertTrue(v >= 0 && v <= 255, "value " + v);
        }
        float left = x[(8 * 16) * 3];
        float right = x[(8 * 16 + 15) * 3];
        if (right > left) {
          increasing++;
        } else if (left > right) {
          decreasing++;
        }
      }
      // The flip is a fair coin per example.
      assertTrue(increasing >= 3 && decreasing >= 3, increasing + " vs " + decreasing);
      assertEquals(20, increasing + decreasing);
    }
  }

  @Test
  void run_corruptJpeg_throwsNamingSource() {
    byte[] junk = new byte[100];
    junk[0] = (byte) 0xFF;
    junk[1] = (byte) 0xD8;
    junk[2] = (byte) 0xFF;
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      IOException e =
          assertThrows(
              IOException.class,
              () -> p.run(junk, "shard-3 record 7", new SplittableRandom(1), new float[768], 0));
      assertTrue(e.getMessage().startsWith("shard-3 record 7"), e.getMessage());
    }
  }

  /** The pixels of each image run one by one, with randomness {@code SplittableRandom(10 + i)}. */
  private static byte[] oneByOne(TrainPreprocessing p, byte[][] images) throws IOException {
    byte[] out = new byte[images.length * p.outputSize()];
    for (int i = 0; i < images.length; i++) {
      p.runPixels(images[i], "img" + i, new SplittableRandom(10 + i), out, i * p.outputSize());
    }
    return out;
  }

  private static SplittableRandom[] randoms(int n) {
    SplittableRandom[] r = new SplittableRandom[n];
    for (int i = 0; i < n; i++) {
      r[i] = new SplittableRandom(10 + i);
    }
    return r;
  }

  private static String[] names(int n) {
    String[] w = new String[n];
    for (int i = 0; i < n; i++) {
      w[i] = "img" + i;
    }
    return w;
  }

  @Test
  void runPixelsBatch_jpegsOfDifferentSizes_equalOneByOne() throws IOException {
    byte[][] jpegs = {
      gradient(120, 80, "jpg"),
      gradient(64, 96, "jpg"),
      gradient(200, 50, "jpg"),
      gradient(33, 33, "jpg"),
      gradient(120, 80, "jpg")
    };
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      byte[] batched = new byte[jpegs.length * p.outputSize()];
      p.runPixels(jpegs, names(jpegs.length), randoms(jpegs.length), batched);
      byte[] expected = oneByOne(p, jpegs);
      assertArrayEquals(expected, batched);
      // Images 0 and 4 are the same file with other randomness: other crops.
      assertFalse(
          Arrays.equals(
              Arrays.copyOfRange(batched, 0, p.outputSize()),
              Arrays.copyOfRange(batched, 4 * p.outputSize(), 5 * p.outputSize())));
    }
  }

  @Test
  void runPixelsBatch_mixedFormats_equalOneByOne() throws IOException {
    byte[][] images = {gradient(90, 70, "jpg"), gradient(90, 70, "png"), gradient(50, 80, "jpg")};
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      byte[] batched = new byte[images.length * p.outputSize()];
      p.runPixels(images, names(images.length), randoms(images.length), batched);
      assertArrayEquals(oneByOne(p, images), batched);
    }
  }

  @Test
  void runPixelsBatch_corruptJpegInBatch_throwsNamingThatImage() throws IOException {
    byte[] junk = new byte[100];
    junk[0] = (byte) 0xFF;
    junk[1] = (byte) 0xD8;
    junk[2] = (byte) 0xFF;
    byte[][] images = {gradient(90, 70, "jpg"), junk, gradient(50, 80, "jpg")};
    try (TrainPreprocessing p = new TrainPreprocessing(SPEC)) {
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  p.runPixels(
                      images, names(3), randoms(3), new byte[images.length * p.outputSize()]));
      assertTrue(e.getMessage().startsWith("img1: cannot decode image"), e.getMessage());
    }
  }
}
