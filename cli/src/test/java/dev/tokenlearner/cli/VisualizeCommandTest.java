package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** visualize on an imported image model (8 tokens) and video model (4 tokens, 4 frames). */
class VisualizeCommandTest {

  private static final Path FIXTURES =
      Path.of(System.getProperty("tokenlearner.testdata", "../testdata")).resolve("fixtures");

  @TempDir static Path tmp;
  private static Path imageModel;
  private static Path videoModel;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private static Path importSet(String set, String checkpoint) {
    Path out = tmp.resolve("models/" + set);
    CliRun r =
        run(
            "import",
            "--checkpoint",
            FIXTURES.resolve(set).resolve(checkpoint).toString(),
            "--config",
            FIXTURES.resolve(set).resolve("config.json").toString(),
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    return out;
  }

  private static void randomPng(Path file, int w, int h, long seed) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    SplittableRandom r = new SplittableRandom(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    ImageIO.write(img, "png", file.toFile());
  }

  @BeforeAll
  static void importModels() {
    imageModel = importSet("tiny_v11", "checkpoint_1001");
    videoModel = importSet("tiny_video_3dconv", "checkpoint_1009");
  }

  @Test
  void visualize_imageFile_writesPngWithInputAndEightTokenPanels() throws IOException {
    Path image = tmp.resolve("one/cat.png");
    randomPng(image, 30, 22, 1);
    Path png = tmp.resolve("out/cat_maps.png");

    CliRun r =
        run(
            "visualize",
            "--model",
            imageModel.toString(),
            "--input",
            image.toString(),
            "--output",
            png.toString());

    assertEquals(0, r.code(), r.err());
    assertEquals(9, Pictures.panels(Pictures.read(png)));
  }

  @Test
  void visualize_imageFolder_writesOnePngPerImage() throws IOException {
    Path dir = tmp.resolve("many");
    for (int i = 0; i < 3; i++) {
      randomPng(dir.resolve("img" + i + ".png"), 16 + i * 5, 16, 10 + i);
    }
    Path out = tmp.resolve("many_maps");

    CliRun r =
        run(
            "visualize",
            "--model",
            imageModel.toString(),
            "--input",
            dir.toString(),
            "--output",
            out.toString());

    assertEquals(0, r.code(), r.err());
    for (int i = 0; i < 3; i++) {
      assertEquals(9, Pictures.panels(Pictures.read(out.resolve("img" + i + ".png"))));
    }
  }

  @Test
  void visualize_clipFolder_writesGifWithOneFramePerModelFrame() throws IOException {
    Path clip = tmp.resolve("clip");
    for (int i = 0; i < 7; i++) {
      randomPng(clip.resolve(String.format("frame%02d.png", i)), 20, 18, 20 + i);
    }
    Path gif = tmp.resolve("clip.gif");

    CliRun r =
        run(
            "visualize",
            "--model",
            videoModel.toString(),
            "--input",
            clip.toString(),
            "--output",
            gif.toString());

    assertEquals(0, r.code(), r.err());
    // the fixture model takes 4 frames and learns 4 tokens per time step
    assertEquals(4, Pictures.gifFrames(gif));
    assertEquals(5, Pictures.panels(Pictures.read(gif)));
  }

  @Test
  void visualize_npyClipBatch_writesOneGifPerExample() throws IOException {
    Path out = tmp.resolve("npy_maps");

    CliRun r =
        run(
            "visualize",
            "--model",
            videoModel.toString(),
            "--input",
            FIXTURES.resolve("tiny_video_3dconv/input.npy").toString(),
            "--output",
            out.toString());

    assertEquals(0, r.code(), r.err());
    for (int i = 0; i < 2; i++) {
      Path gif = out.resolve("input_" + i + ".gif");
      assertEquals(4, Pictures.gifFrames(gif));
    }
  }

  @Test
  void visualize_imageModelToGif_isUserError() throws IOException {
    Path image = tmp.resolve("two/dog.png");
    randomPng(image, 16, 16, 3);

    CliRun r =
        run(
            "visualize",
            "--model",
            imageModel.toString(),
            "--input",
            image.toString(),
            "--output",
            tmp.resolve("dog.gif").toString());

    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains(".png"), r.err());
  }
}
