package dev.tokenlearner.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.weights.CheckpointMismatchException;
import dev.tokenlearner.weights.ImportOptions;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mistakes users make most often get an error that names the input at fault and, where there is
 * one, the fix: a config whose image size does not match the checkpoint's position embeddings, a
 * grey-scale array for an RGB model, a missing or unreadable file. (A config that does not match
 * the checkpoint is covered by {@code ScenicImportErrorsTest}; a full disk during checkpointing by
 * {@code CheckpointDiskFullTest}.)
 */
class CommonMistakesTest {

  private static final String SET = "tiny_v11";

  @TempDir static Path shared;
  private static Path model;

  @BeforeAll
  static void exportModel() throws Exception {
    model =
        ExportLoopMain.exporter()
            .export(shared.resolve("model"), ExportLoopMain.weights(0))
            .directory();
  }

  /** The fixture config with the input size changed from 16x16 to {@code size}. */
  private static Path configWithImageSize(Path dir, int size) throws IOException {
    String json = Files.readString(Fixtures.set(SET).resolve("config.json"));
    String changed =
        json.replaceAll(
            "\"input_shape\": \\[\\s*2,\\s*16,\\s*16,",
            "\"input_shape\": [2, " + size + ", " + size + ",");
    assertFalse(json.equals(changed), "fixture config layout changed");
    return Files.writeString(dir.resolve("config.json"), changed);
  }

  @Test
  void import_imageSizeOtherThanCheckpoints_errorSuggestsResizePosemb(@TempDir Path tmp)
      throws Exception {
    Path config = configWithImageSize(tmp, 32);
    Path out = tmp.resolve("model");
    CheckpointMismatchException e =
        assertThrows(
            CheckpointMismatchException.class,
            () ->
                ScenicImport.run(
                    Fixtures.checkpoint(SET), config, out, ImportOptions.strict(), false));
    String msg = e.getMessage();
    assertTrue(
        msg.contains(
            "Transformer/posembed_input/pos_embedding: expected [1, 64, 32], found [1, 16, 32]"),
        msg);
    assertTrue(msg.contains("--resize-posemb"), msg);
    assertEquals(1, e.mismatches().size(), msg);
    assertFalse(Files.exists(out));

    // The suggested fix works.
    ScenicImport.run(
        Fixtures.checkpoint(SET),
        config,
        out,
        ImportOptions.strict().toBuilder().resizePosEmbedding(true).build(),
        false);
    try (ServingModel m = ServingModel.load(out)) {
      assertArrayEquals(new long[] {-1, 32, 32, 3}, m.inputShape(Signatures.SERVING_DEFAULT));
    }
  }

  @Test
  void predict_greyScaleArrayForRgbModel_errorNamesChannels(@TempDir Path tmp) throws Exception {
    Path grey = tmp.resolve("grey.npy");
    Npy.write(grey, new HostArray(new long[] {2, 16, 16, 1}, new float[2 * 16 * 16]));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> Predict.run(model, grey, tmp.resolve("out.npy"), null));
    String msg = e.getMessage();
    assertTrue(msg.contains("[2, 16, 16, 1]"), msg);
    assertTrue(msg.contains("grey-scale"), msg);
    assertTrue(msg.contains("3 channels"), msg);
    assertFalse(Files.exists(tmp.resolve("out.npy")));
  }

  @Test
  void predict_greyScaleImageFile_convertedToRgbLikeTensorFlow(@TempDir Path tmp) throws Exception {
    // decode_image(channels=3) replicates grey into R, G and B; so does the image loader.
    BufferedImage grey = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage rgb = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        int v = (x * 16 + y) & 0xff;
        grey.getRaster().setSample(x, y, 0, v);
        rgb.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    Path greyPng = tmp.resolve("grey.png");
    Path rgbPng = tmp.resolve("rgb.png");
    ImageIO.write(grey, "png", greyPng.toFile());
    ImageIO.write(rgb, "png", rgbPng.toFile());
    HostArray fromGrey = Predict.run(model, greyPng, tmp.resolve("g.npy"), null);
    HostArray fromRgb = Predict.run(model, rgbPng, tmp.resolve("c.npy"), null);
    assertArrayEquals(fromRgb.data(), fromGrey.data());
  }

  @Test
  void predict_missingModelOrInput_errorNamesThePath(@TempDir Path tmp) {
    Path missing = tmp.resolve("no-such-model");
    NoSuchFileException e1 =
        assertThrows(
            NoSuchFileException.class,
            () -> Predict.run(missing, tmp.resolve("x.npy"), tmp.resolve("o.npy"), null));
    assertEquals(missing.toString(), e1.getFile());
    Path noImage = tmp.resolve("photo.png");
    NoSuchFileException e2 =
        assertThrows(
            NoSuchFileException.class,
            () ->
                ImageInputs.load(
                    List.of(noImage),
                    new EvalPreprocessing(
                        16, 16, 3, EvalPreprocessing.CROP_FRACTION_DEFAULT, Normalization.NONE)));
    assertEquals(noImage.toString(), e2.getFile());
  }

  @Test
  void predict_imageFileThatIsNotAnImage_errorNamesTheFile(@TempDir Path tmp) throws Exception {
    Path fake = Files.writeString(tmp.resolve("photo.png"), "this is text, not a PNG");
    ImageFormatException e =
        assertThrows(
            ImageFormatException.class, () -> Predict.run(model, fake, tmp.resolve("o.npy"), null));
    assertEquals(fake.toString(), e.source());
    assertTrue(e.getMessage().startsWith(fake + ": "), e.getMessage());
  }

  @Test
  void import_missingCheckpointOrConfig_errorNamesThePath(@TempDir Path tmp) {
    Path noCkpt = tmp.resolve("checkpoint_9");
    Exception e1 =
        assertThrows(
            IOException.class,
            () ->
                ScenicImport.run(
                    noCkpt,
                    Fixtures.set(SET).resolve("config.json"),
                    tmp.resolve("m"),
                    ImportOptions.strict(),
                    false));
    assertTrue(e1.getMessage().contains(noCkpt.toString()), e1.getMessage());
    Path noConfig = tmp.resolve("config.yaml");
    NoSuchFileException e2 =
        assertThrows(
            NoSuchFileException.class,
            () ->
                ScenicImport.run(
                    Fixtures.checkpoint(SET),
                    noConfig,
                    tmp.resolve("m"),
                    ImportOptions.strict(),
                    false));
    assertEquals(noConfig.toString(), e2.getFile());
  }
}
