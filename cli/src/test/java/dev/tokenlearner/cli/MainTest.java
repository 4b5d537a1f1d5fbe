package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.HostArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end: exit codes, messages, and import then predict on a fixture. */
class MainTest {

  private static final Path TESTDATA =
      Path.of(System.getProperty("tokenlearner.testdata", "../testdata"));

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void noSubcommand_isUserError() {
    CliRun r = run();
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("Specify a subcommand"), r.err());
  }

  @Test
  void inspect_tinyConfig_printsLayerTableCountAndFlops() {
    CliRun r = run("inspect", "--config", "tiny");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().matches("(?s).*\nlayer +tokens +MFLOPs +params\n.*"), r.out());
    // The table's total agrees with the parameter count, both with thousands separators.
    assertTrue(r.out().matches("(?s).*\ntotal +[0-9,.]+ +146,706\n.*"), r.out());
    assertTrue(r.out().contains("parameters: 146,706"), r.out());
    assertTrue(r.out().contains("GFLOPs per example"), r.out());
    assertTrue(!r.out().contains("token_masking/Dense_1/kernel"), r.out());
  }

  @Test
  void inspectParams_tinyConfig_addsTheParameterTree() {
    CliRun r = run("inspect", "--config", "tiny", "--params");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out()
            .matches(
                "(?s).*Transformer/TokenLearnerModuleV11_0/token_masking/Dense_1/kernel +\\[64, 8\\]\n.*"),
        r.out());
    assertTrue(r.out().contains("parameters: 146,706"), r.out());
  }

  @Test
  void trainHelp_listsTheBundledConfigs() {
    CliRun r = run("train", "--help");
    assertEquals(0, r.code(), r.err());
    for (String name : BundledConfigs.names()) {
      assertTrue(r.out().contains(name), name + " missing from: " + r.out());
    }
    assertTrue(BundledConfigs.names().containsAll(java.util.List.of("tiny", "token_learner_b16")));
  }

  @Test
  void train_deviceGpuWithoutGpu_isUserErrorNamingWhatIsMissing(@TempDir Path tmp) {
    CliRun r = run("train", "--config", "tiny", "--workdir", tmp.toString(), "--device", "gpu");
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains("device: gpu was asked for"), r.err());
    assertTrue(r.err().contains("CPU build"), r.err());
  }

  @Test
  void doctor_noGpu_reportsWhatIsMissing() {
    CliRun r = run("doctor");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("TensorFlow 2."), r.out());
    assertTrue(r.out().contains("device:CPU:0 (CPU"), r.out());
    assertTrue(r.out().contains("GPU: not usable"), r.out());
    assertTrue(r.out().contains("CPU build"), r.out());
  }

  @Test
  void doctorGpu_noGpu_failsAsUserError() {
    CliRun r = run("doctor", "--gpu");
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains("no GPU can be used"), r.err());
  }

  @Test
  void train_unknownDevice_isUserErrorNamingChoices(@TempDir Path tmp) {
    CliRun r = run("train", "--config", "tiny", "--workdir", tmp.toString(), "--device", "tpu");
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains("cpu, gpu, auto"), r.err());
  }

  @Test
  void inspectBuildTime_tinyConfig_printsExactlyTwoLinesWithOpCounts() {
    CliRun r = run("inspect", "--config", "tiny", "--build-time");

    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(2, lines.length, r.out());
    assertTrue(lines[0].matches("build inference: \\d+ ops in \\d+\\.\\d+ s"), lines[0]);
    assertTrue(lines[1].matches("build training: \\d+ ops in \\d+\\.\\d+ s"), lines[1]);
    long inference = Long.parseLong(lines[0].split(" ")[2]);
    long training = Long.parseLong(lines[1].split(" ")[2]);
    // The training graph holds the model plus its gradients and the optimizer.
    assertTrue(training > 2 * inference, r.out());
  }

  @Test
  void inspect_missingConfigFile_isUserErrorNamingIt() {
    CliRun r = run("inspect", "--config", "/nonexistent/cfg.yaml");
    assertEquals(Main.EXIT_USER_ERROR, r.code());
    assertTrue(r.err().contains("/nonexistent/cfg.yaml"), r.err());
  }

  @Test
  void train_npzWithFloatLabels_isUserErrorNamingFileAndArray(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("set.npz");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(data))) {
      zip.putNextEntry(new ZipEntry("images.npy"));
      Npy.write(zip, HostArray.zeros(2, 32, 32, 3));
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("labels.npy"));
      Npy.write(zip, HostArray.zeros(2));
      zip.closeEntry();
    }
    CliRun r =
        run(
            "train",
            "--config",
            "tiny",
            "--workdir",
            tmp.resolve("w").toString(),
            "--data",
            data.toString());
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains("set.npz"), r.err());
    assertTrue(r.err().contains("'labels' must be integers"), r.err());
  }

  @Test
  void train_evalDataWithoutNpzData_isUserError(@TempDir Path tmp) {
    CliRun r =
        run(
            "train",
            "--config",
            "tiny",
            "--workdir",
            tmp.resolve("w").toString(),
            "--eval-data",
            tmp.resolve("val.npz").toString());
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains("val.npz"), r.err());
  }

  @Test
  void importThenPredict_fixture_reproducesScenicLogits(@TempDir Path tmp) throws Exception {
    Path fixture = TESTDATA.resolve("fixtures/tiny_v1_fuser");
    Path model = tmp.resolve("model");
    CliRun imp =
        run(
            "import",
            "--checkpoint",
            fixture.toString(),
            "--config",
            fixture.resolve("config.json").toString(),
            "--out",
            model.toString());
    assertEquals(0, imp.code(), imp.err());
    Path out = tmp.resolve("logits.npy");
    CliRun pred =
        run(
            "predict",
            "--model",
            model.toString(),
            "--input",
            fixture.resolve("input.npy").toString(),
            "--output",
            out.toString());
    assertEquals(0, pred.code(), pred.err());
    HostArray expected = Npy.read(fixture.resolve("expected_logits.npy"));
    assertTrue(Npy.read(out).maxAbsDiff(expected) <= 1e-4);

    CliRun again =
        run(
            "import",
            "--checkpoint",
            fixture.toString(),
            "--config",
            fixture.resolve("config.json").toString(),
            "--out",
            model.toString());
    assertEquals(Main.EXIT_USER_ERROR, again.code());
    assertTrue(Files.exists(model.resolve("saved_model.pb")));
  }

  @Test
  void import_corruptCheckpoint_isUserErrorNamingFile(@TempDir Path tmp) throws Exception {
    Path fixture = TESTDATA.resolve("fixtures/tiny_v11");
    Path bad = tmp.resolve("checkpoint_5");
    byte[] bytes = Files.readAllBytes(fixture.resolve("checkpoint_1001"));
    Files.write(bad, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    CliRun r =
        run(
            "import",
            "--checkpoint",
            bad.toString(),
            "--config",
            fixture.resolve("config.json").toString(),
            "--out",
            tmp.resolve("m").toString());
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains("checkpoint_5"), r.err());
    assertTrue(Files.notExists(tmp.resolve("m")));
  }
}
