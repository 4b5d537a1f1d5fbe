package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Normalization;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class FashionMnistDatasetTest {

  /** Pixel {@code k} of image {@code i}: a pattern the test can recompute. */
  static int pixel(int i, int k) {
    return (i * 7 + k * 3) & 0xff;
  }

  /**
   * Writes the four gzipped IDX files with {@code numTrain} and {@code numTest} images; image
   * {@code i} has label {@code i % 10} and pixels {@link #pixel}.
   *
   * @param dir the folder to create
   * @param numTrain training images
   * @param numTest test images
   * @return the folder
   * @throws IOException if writing fails
   */
  public static Path writeIdx(Path dir, int numTrain, int numTest) throws IOException {
    Files.createDirectories(dir);
    for (String split : new String[] {"train", "t10k"}) {
      int n = split.equals("train") ? numTrain : numTest;
      try (DataOutputStream out = gz(dir.resolve(split + "-images-idx3-ubyte.gz"))) {
        out.writeInt(0x803);
        out.writeInt(n);
        out.writeInt(28);
        out.writeInt(28);
        for (int i = 0; i < n; i++) {
          for (int k = 0; k < 784; k++) {
            out.writeByte(pixel(i, k));
          }
        }
      }
      try (DataOutputStream out = gz(dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
        out.writeInt(0x801);
        out.writeInt(n);
        for (int i = 0; i < n; i++) {
          out.writeByte(i % 10);
        }
      }
    }
    return dir;
  }

  private static DataOutputStream gz(Path f) throws IOException {
    OutputStream o = Files.newOutputStream(f);
    return new DataOutputStream(new GZIPOutputStream(o));
  }

  @Test
  void read_generatedIdx_unitScaledPixelsAndLabels(@TempDir Path dir) throws IOException {
    writeIdx(dir, 30, 12);
    FashionMnistDataset ds = new FashionMnistDataset(dir, Normalization.UNIT, false);
    assertEquals(30, ds.numTrain());
    assertEquals(12, ds.numEval());
    assertArrayEquals(new int[] {28, 28, 1}, ds.exampleShape());
    float[] x = new float[784];
    assertEquals(7, ds.train(17, null, x, 0));
    for (int k = 0; k < 784; k++) {
      assertEquals(pixel(17, k) / 255f, x[k], 1e-7f);
    }
    assertEquals(3, ds.eval(3, x, 0));
    assertEquals(pixel(3, 100) / 255f, x[100], 1e-7f);
  }

  @Test
  void train_randomFlip_mirrorsRowsForSomeSeedsOnly(@TempDir Path dir) throws IOException {
    writeIdx(dir, 30, 12);
    FashionMnistDataset ds = new FashionMnistDataset(dir, Normalization.UNIT, true);
    int flipped = 0;
    for (long seed = 0; seed < 20; seed++) {
      float[] x = new float[784];
      ds.train(5, new java.util.SplittableRandom(seed), x, 0);
      boolean mirrored = x[0] == pixel(5, 27) / 255f && x[27] == pixel(5, 0) / 255f;
      boolean plain = x[0] == pixel(5, 0) / 255f && x[27] == pixel(5, 27) / 255f;
      assertTrue(mirrored != plain, "seed " + seed);
      flipped += mirrored ? 1 : 0;
    }
    assertTrue(flipped >= 3 && flipped <= 17, flipped + " of 20 flipped");
  }

  @Test
  void trainPixels_withFlips_areTheRawBytesOfTheFloatExample(@TempDir Path dir) throws IOException {
    writeIdx(dir, 30, 12);
    FashionMnistDataset ds = new FashionMnistDataset(dir, Normalization.UNIT, true);
    assertTrue(ds.hasPixels());
    for (long seed = 0; seed < 8; seed++) {
      float[] x = new float[784];
      byte[] p = new byte[784 + 3];
      int label = ds.train(9, new java.util.SplittableRandom(seed), x, 0);

      assertEquals(label, ds.trainPixels(9, new java.util.SplittableRandom(seed), p, 3));
      for (int k = 0; k < 784; k++) {
        assertEquals(x[k], (p[3 + k] & 0xff) / 255f, 0f, "seed " + seed + " pixel " + k);
      }
    }
  }

  @Test
  void read_truncatedImages_throwsNamingFile(@TempDir Path dir) throws IOException {
    writeIdx(dir, 30, 12);
    Path f = dir.resolve("train-images-idx3-ubyte.gz");
    byte[] whole;
    try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(f))) {
      whole = in.readAllBytes();
    }
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(f))) {
      o.write(whole, 0, whole.length / 2);
    }
    IOException e =
        assertThrows(
            IOException.class, () -> new FashionMnistDataset(dir, Normalization.UNIT, false));
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void read_missingFolder_namesDebianPackage(@TempDir Path dir) {
    IOException e =
        assertThrows(
            IOException.class, () -> new FashionMnistDataset(dir, Normalization.UNIT, false));
    assertTrue(e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
  }
}
