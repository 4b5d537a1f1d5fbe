package dev.tokenlearner.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.weights.ImportOptions;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictTest {

  private static final String SET = "tiny_v11";

  @TempDir static Path shared;
  private static Path model;

  @BeforeAll
  static void exportFixture() throws IOException {
    model = shared.resolve("model");
    Path dir = Fixtures.set(SET);
    ScenicImport.run(
        Fixtures.checkpoint(SET), dir.resolve("config.json"), model, ImportOptions.strict(), false);
  }

  @Test
  void run_freshJvmFromSavedModelAlone_writesReferenceLogits(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("logits.npy");
    Path log = tmp.resolve("predict.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(PredictMain.class.getName());
    cmd.add(model.toString());
    cmd.add(Fixtures.set(SET).resolve("input.npy").toString());
    cmd.add(out.toString());
    cmd.add("serving_default");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("predict JVM did not finish");
    }
    assertEquals(0, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    HostArray expected = Npy.read(Fixtures.set(SET).resolve("expected_logits.npy"));
    HostArray actual = Npy.read(out);
    assertArrayEquals(expected.shape(), actual.shape());
    assertTrue(expected.maxAbsDiff(actual) <= 1e-4, "max abs error " + expected.maxAbsDiff(actual));
  }

  @Test
  void run_otherSignature_writesThatOutput(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("enc.npy");
    HostArray enc = Predict.run(model, Fixtures.set(SET).resolve("input.npy"), out, "encoded");
    HostArray expected = Npy.read(Fixtures.set(SET).resolve("expected_encoded.npy"));
    assertTrue(expected.maxAbsDiff(Npy.read(out)) <= 1e-4);
    assertEquals(enc, Npy.read(out));
  }

  @Test
  void run_imageDirectory_equalsModelOnHandPreprocessedBatch(@TempDir Path tmp) throws IOException {
    // The fixture config names no dataset, so the stored normalisation is zero_centered.
    Path images = tmp.resolve("images");
    Files.createDirectories(images);
    int size = 16;
    // 18 px: the shorter side's target is round(16 / 0.875) = 18, so the resize is the identity
    // and the centre crop starts at pixel 1.
    int side = 18;
    SplittableRandom random = new SplittableRandom(7);
    int[] pixels = new int[side * side];
    BufferedImage a = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int rgb = random.nextInt(1 << 24);
        pixels[y * side + x] = rgb;
        a.setRGB(x, y, rgb);
      }
    }
    ImageIO.write(a, "png", images.resolve("a.png").toFile());
    // Another size and a constant colour: resizing and cropping keep it constant.
    BufferedImage b = new BufferedImage(7, 5, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 5; y++) {
      for (int x = 0; x < 7; x++) {
        b.setRGB(x, y, (255 << 16) | (0 << 8) | 51);
      }
    }
    ImageIO.write(b, "png", images.resolve("b.png").toFile());
    Files.writeString(images.resolve("notes.txt"), "not an image");

    float[] batch = new float[2 * size * size * 3];
    for (int i = 0; i < size * size; i++) {
      int rgb = pixels[(i / size + 1) * side + i % size + 1];
      batch[i * 3] = ((rgb >> 16) & 0xff) / 127.5f - 1f;
      batch[i * 3 + 1] = ((rgb >> 8) & 0xff) / 127.5f - 1f;
      batch[i * 3 + 2] = (rgb & 0xff) / 127.5f - 1f;
    }
    int off = size * size * 3;
    for (int i = 0; i < size * size; i++) {
      batch[off + i * 3] = 1f;
      batch[off + i * 3 + 1] = -1f;
      batch[off + i * 3 + 2] = 51 / 127.5f - 1f;
    }
    HostArray expected;
    try (ServingModel m = ServingModel.load(model)) {
      assertEquals(Normalization.ZERO_CENTERED, m.metadata().orElseThrow().normalization());
      expected = m.run("serving_default", new HostArray(new long[] {2, size, size, 3}, batch));
    }
    HostArray actual = Predict.run(model, images, tmp.resolve("out.npy"), null);
    assertArrayEquals(new long[] {2, 5}, actual.shape());
    assertTrue(expected.maxAbsDiff(actual) <= 1e-5, "max abs error " + expected.maxAbsDiff(actual));
  }

  @Test
  void run_unsupportedInput_throwsNamingAcceptedForms(@TempDir Path tmp) throws IOException {
    Path txt = Files.writeString(tmp.resolve("x.txt"), "hello");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Predict.run(model, txt, tmp.resolve("o.npy"), null));
    assertTrue(e.getMessage().contains(".npy"), e.getMessage());
  }
}
