package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every mistake a user can fix answers with exit code 1 and one line on stderr, no stack trace,
 * naming the path or option at fault and the fix.
 */
class UserErrorsTest {

  private static final Path TESTDATA =
      Path.of(System.getProperty("tokenlearner.testdata", "../testdata"));

  @TempDir Path tmp;

  /** Asserts exit 1 and a single {@code error: } line holding every one of {@code words}. */
  private static void assertOneLineUserError(CliRun r, String... words) {
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    List<String> lines = r.errLines();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).startsWith("error: "), r.err());
    for (String w : words) {
      assertTrue(lines.get(0).contains(w), "missing '" + w + "' in: " + lines.get(0));
    }
  }

  private Path png(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", file.toFile());
    return file;
  }

  @Test
  void train_intoWorkdirWithCheckpoint_namesResumeAndWorkdirFlags() throws Exception {
    Path workdir = Files.createDirectories(tmp.resolve("w"));
    Files.writeString(workdir.resolve("checkpoint_7"), "");
    CliRun r = CliRun.of("train", "--config", "tiny", "--workdir", workdir.toString());
    assertOneLineUserError(r, workdir.toString(), "checkpoint_7", "--resume", "--workdir");
  }

  @Test
  void train_missingConfigFile_saysNoSuchFile() {
    Path cfg = tmp.resolve("missing.yaml");
    CliRun r = CliRun.of("train", "--config", cfg.toString(), "--workdir", tmp.toString());
    assertOneLineUserError(r, "no such file: " + cfg);
  }

  @Test
  void train_unknownBundledName_listsTheBundledConfigs() {
    CliRun r = CliRun.of("train", "--config", "tiyn", "--workdir", tmp.toString());
    assertOneLineUserError(r, "tiyn", "bundled configs:", "tiny", "im1k_token_learner");
  }

  @Test
  void train_missingDataPath_saysNoSuchFile() {
    Path data = tmp.resolve("nodata");
    CliRun r = trainTiny(data);
    assertOneLineUserError(r, "no such file: " + data);
  }

  @Test
  void train_flatFolderOfPngs_listsTheDataLayouts() throws Exception {
    Path data = tmp.resolve("flat");
    for (int i = 0; i < 3; i++) {
      png(data.resolve(i + ".png"));
    }
    CliRun r = trainTiny(data);
    assertOneLineUserError(r, data.toString(), "flat folder of images", "--data takes", ".npz");
    assertTrue(!r.err().contains("checksum"), r.err());
  }

  @Test
  void train_npyFile_listsTheDataLayouts() throws Exception {
    Path data = Files.writeString(tmp.resolve("images.npy"), "not really");
    CliRun r = trainTiny(data);
    assertOneLineUserError(r, "a .npy file", "--data takes", "class sub-folders");
  }

  @Test
  void train_imageFolderWithoutImages_saysWhatIsMissing() throws Exception {
    Path data = tmp.resolve("folder");
    Files.createDirectories(data.resolve("cat"));
    Files.createDirectories(data.resolve("dog"));
    CliRun r = trainTiny(data);
    assertOneLineUserError(r, data.toString(), "no training images");
  }

  @Test
  void train_mismatchedTrainAndValClasses_namesBothFolders() throws Exception {
    Path data = tmp.resolve("split");
    png(data.resolve("train/cat/0.png"));
    png(data.resolve("val/dog/0.png"));
    CliRun r = trainTiny(data);
    assertOneLineUserError(r, "[cat]", "[dog]", "same classes");
  }

  @Test
  void predict_missingInput_saysNoSuchFile() {
    Path input = tmp.resolve("missing.png");
    CliRun r = CliRun.of("predict", "--model", tmp.toString(), "--input", input.toString());
    assertOneLineUserError(r, "no such file: " + input);
  }

  @Test
  void predict_missingModel_saysNoSuchFile() throws Exception {
    Path model = tmp.resolve("nomodel");
    Path input = png(tmp.resolve("a.png"));
    CliRun r = CliRun.of("predict", "--model", model.toString(), "--input", input.toString());
    assertOneLineUserError(r, "no such file: " + model);
  }

  @Test
  void predict_textOutput_isRefusedBeforeTheModelIsRead() throws Exception {
    // The model folder is empty: had the model been loaded first, the error would name it.
    Path input = png(tmp.resolve("a.png"));
    Path out = tmp.resolve("out.txt");
    CliRun r =
        CliRun.of(
            "predict",
            "--model",
            tmp.toString(),
            "--input",
            input.toString(),
            "--output",
            out.toString());
    assertOneLineUserError(r, out.toString(), "--output must end in", ".csv", ".json", ".npy");
  }

  @Test
  void predict_inputOfUnknownKind_namesWhatInputTakes() throws Exception {
    Path input = Files.writeString(tmp.resolve("notes.txt"), "x");
    CliRun r = CliRun.of("predict", "--model", tmp.toString(), "--input", input.toString());
    assertOneLineUserError(r, input.toString(), "--input takes", ".npy", "folder of images");
  }

  @Test
  void import_bundledConfigName_isAccepted() throws Exception {
    // A truncated checkpoint fails after the config was resolved: the error is about the
    // checkpoint, not about 'tiny'.
    Path bad = tmp.resolve("checkpoint_5");
    byte[] bytes = Files.readAllBytes(TESTDATA.resolve("fixtures/tiny_v11/checkpoint_1001"));
    Files.write(bad, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    CliRun r =
        CliRun.of(
            "import",
            "--checkpoint",
            bad.toString(),
            "--config",
            "tiny",
            "--out",
            tmp.resolve("m").toString());
    assertOneLineUserError(r, "checkpoint_5");
    assertTrue(!r.err().contains("tiny"), r.err());
  }

  @Test
  void import_missingCheckpoint_saysNoSuchFile() {
    Path ckpt = tmp.resolve("checkpoint_9");
    CliRun r =
        CliRun.of(
            "import",
            "--checkpoint",
            ckpt.toString(),
            "--config",
            "tiny",
            "--out",
            tmp.resolve("m").toString());
    assertOneLineUserError(r, "no such file: " + ckpt);
  }

  @Test
  void import_existingOut_namesTheOverwriteFlag() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("m"));
    CliRun r =
        CliRun.of(
            "import",
            "--checkpoint",
            TESTDATA.resolve("fixtures/tiny_v11/checkpoint_1001").toString(),
            "--config",
            "tiny",
            "--out",
            out.toString());
    assertOneLineUserError(r, out.toString(), "already exists", "--overwrite");
    assertTrue(!r.err().contains("pass overwrite"), r.err());
  }

  @Test
  void inspect_missingConfigFile_saysNoSuchFile() {
    CliRun r = CliRun.of("inspect", "--config", "/nonexistent/cfg.yaml");
    assertOneLineUserError(r, "no such file: /nonexistent/cfg.yaml");
  }

  @Test
  void userMessage_multiLineMessage_isJoinedIntoOneLine() {
    String m =
        Main.userMessage(
            new dev.tokenlearner.core.InvalidInputException("first problem\n  second problem\n"));
    assertEquals("first problem; second problem", m);
  }

  @Test
  void unknownOption_isAUsageErrorWithExitCode2() {
    CliRun r = CliRun.of("train", "--config", "tiny", "--workdir", tmp.toString(), "--bogus");
    assertEquals(Main.EXIT_USAGE, r.code(), r.err());
    assertTrue(r.err().contains("Unknown option: '--bogus'"), r.err());
  }

  /** {@code train --config tiny} into a fresh workdir, on {@code data}. */
  private CliRun trainTiny(Path data) {
    return CliRun.of(
        "train",
        "--config",
        "tiny",
        "--workdir",
        tmp.resolve("w").toString(),
        "--data",
        data.toString());
  }
}
