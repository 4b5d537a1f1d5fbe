package dev.tokenlearner.graph.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.Normalization;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

class EvalPreprocessingTest {

  /** A random RGB image, returned as PNG bytes; its pixels go to {@code rgb} ([h][w][3]). */
  private static byte[] randomPng(int w, int h, long seed, double[][][] rgb) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = r.nextInt(1 << 24);
        img.setRGB(x, y, v);
        rgb[y][x] = new double[] {(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  /** Bilinear resize with half-pixel centres in double precision, then a crop at (top, left). */
  private static double[] resizeCropReference(
      double[][][] img, int outH, int outW, int top, int left, int cropH, int cropW) {
    int h = img.length;
    int w = img[0].length;
    double[] out = new double[cropH * cropW * 3];
    for (int i = 0; i < cropH; i++) {
      double sy = Math.min(Math.max((top + i + 0.5) * h / outH - 0.5, 0), h - 1);
      int y0 = (int) Math.floor(sy);
      int y1 = Math.min(y0 + 1, h - 1);
      for (int j = 0; j < cropW; j++) {
        double sx = Math.min(Math.max((left + j + 0.5) * w / outW - 0.5, 0), w - 1);
        int x0 = (int) Math.floor(sx);
        int x1 = Math.min(x0 + 1, w - 1);
        for (int c = 0; c < 3; c++) {
          double top0 = img[y0][x0][c] + (img[y0][x1][c] - img[y0][x0][c]) * (sx - x0);
          double bot0 = img[y1][x0][c] + (img[y1][x1][c] - img[y1][x0][c]) * (sx - x0);
          out[(i * cropW + j) * 3 + c] = top0 + (bot0 - top0) * (sy - y0);
        }
      }
    }
    return out;
  }

  @Test
  void run_sizeMatchingCropTarget_takesExactCentrePixels() throws IOException {
    // 12 wide, 8 high; crop 4x4 at fraction 0.5: target side 8, so no resize and the crop
    // starts at row 2, column 4.
    double[][][] rgb = new double[8][12][];
    byte[] png = randomPng(12, 8, 1, rgb);
    EvalPreprocessing spec = new EvalPreprocessing(4, 4, 3, 0.5, Normalization.NONE);
    try (EvalPreprocessor p = new EvalPreprocessor(spec)) {
      float[] out = p.run(png, "test.png");
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
          for (int c = 0; c < 3; c++) {
            assertEquals(rgb[2 + i][4 + j][c], out[(i * 4 + j) * 3 + c], 0.0, i + "," + j);
          }
        }
      }
    }
  }

  @Test
  void run_largerImage_equalsDoubleReferenceOfResizeAndCentreCrop() throws IOException {
    // 30 wide, 20 high -> shorter side to round(7 / 0.875) = 8: resized 8 x 12, crop 7x7 at
    // (floor(1/2), floor(5/2)) = (0, 2); zero_centered normalisation.
    double[][][] rgb = new double[20][30][];
    byte[] png = randomPng(30, 20, 2, rgb);
    EvalPreprocessing spec =
        new EvalPreprocessing(
            7, 7, 3, EvalPreprocessing.CROP_FRACTION_DEFAULT, Normalization.ZERO_CENTERED);
    double[] ref = resizeCropReference(rgb, 8, 12, 0, 2, 7, 7);
    try (EvalPreprocessor p = new EvalPreprocessor(spec)) {
      float[] out = p.run(png, "test.png");
      double worst = 0;
      for (int k = 0; k < ref.length; k++) {
        worst = Math.max(worst, Math.abs(out[k] - (ref[k] / 127.5 - 1)));
      }
      assertTrue(worst < 1e-5, "max abs difference " + worst);
    }
  }

  @Test
  void run_greyOutput_oneChannelInUnitRange() throws IOException {
    BufferedImage img = new BufferedImage(10, 10, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 10; y++) {
      for (int x = 0; x < 10; x++) {
        img.getRaster().setSample(x, y, 0, 51);
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    try (EvalPreprocessor p =
        new EvalPreprocessor(new EvalPreprocessing(5, 5, 1, 1.0, Normalization.UNIT))) {
      float[] out = p.run(png.toByteArray(), "grey.png");
      assertEquals(25, out.length);
      for (float v : out) {
        assertEquals(0.2f, v, 1e-6f);
      }
    }
  }

  @Test
  void run_corruptBytes_throwsNamingSource() {
    byte[] junk = new byte[64];
    Arrays.fill(junk, (byte) 7);
    junk[0] = (byte) 0xFF;
    junk[1] = (byte) 0xD8; // JPEG magic, then garbage
    try (EvalPreprocessor p =
        new EvalPreprocessor(
            EvalPreprocessing.of(new InputSpec(4, 4, 3, 0, 2), Normalization.NONE))) {
      IOException e = assertThrows(IOException.class, () -> p.run(junk, "broken.jpg"));
      assertTrue(e.getMessage().startsWith("broken.jpg"), e.getMessage());
    }
  }

  @Test
  void fromMap_ofToMap_roundTrips() {
    InputSpec in = new InputSpec(32, 48, 3, 0, 10);
    EvalPreprocessing p = new EvalPreprocessing(32, 48, 3, 0.9, Normalization.IMAGENET);
    assertEquals(p, EvalPreprocessing.fromMap(p.toMap(), in));
  }

  @Test
  void new_cropFractionAboveOne_throwsNamingKey() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new EvalPreprocessing(4, 4, 3, 1.5, Normalization.NONE));
    assertTrue(e.getMessage().contains("crop_fraction"), e.getMessage());
  }

  @Test
  void normalize_batchOfImages_tiledConstantsGiveTheChannelFormsValuesExactly() {
    EvalPreprocessing spec = new EvalPreprocessing(5, 4, 3, 1.0, Normalization.IMAGENET);
    byte[] pixels = new byte[2 * 5 * 4 * 3];
    new SplittableRandom(7).nextBytes(pixels);
    float[] tiled = normalized(spec, pixels, null);
    float[] channel = normalized(spec, pixels, "channel");
    for (int i = 0; i < pixels.length; i++) {
      int c = i % 3;
      float expected =
          ((pixels[i] & 0xff) - (float) Normalization.IMAGENET.mean(c))
              / (float) Normalization.IMAGENET.std(c);
      // TensorFlow's optimizer turns the division by a constant into a multiplication: 1 ulp.
      assertEquals(expected, channel[i], 1e-6f, "channel form at " + i);
      assertEquals(channel[i], tiled[i], 0f, "tiled form at " + i);
    }
  }

  /** Runs {@link EvalPreprocessing#normalize} on a {@code [2, H, W, C]} uint8 batch. */
  private static float[] normalized(EvalPreprocessing spec, byte[] pixels, String form) {
    String before = System.getProperty(EvalPreprocessing.NORMALIZE_FORM_PROPERTY);
    if (form != null) {
      System.setProperty(EvalPreprocessing.NORMALIZE_FORM_PROPERTY, form);
    }
    try (Graph g = new Graph();
        Session s = new Session(g);
        TUint8 x =
            TUint8.tensorOf(
                Shape.of(2, spec.height(), spec.width(), spec.channels()),
                DataBuffers.of(pixels, true, false))) {
      Ops tf = Ops.create(g);
      Placeholder<TUint8> in = tf.placeholder(TUint8.class, Placeholder.shape(x.shape()));
      Operand<TFloat32> out = spec.normalize(tf, in);
      try (Result r = s.runner().feed(in, x).fetch(out).run()) {
        float[] v = new float[pixels.length];
        ((TFloat32) r.get(0)).copyTo(DataBuffers.of(v, false, false));
        return v;
      }
    } finally {
      if (before == null) {
        System.clearProperty(EvalPreprocessing.NORMALIZE_FORM_PROPERTY);
      } else {
        System.setProperty(EvalPreprocessing.NORMALIZE_FORM_PROPERTY, before);
      }
    }
  }
}
