package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.FlaxMsgpackReader;
import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.export.WorkdirExport;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.Trainer;
import dev.tokenlearner.train.summary.MetricsLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-worker training as TFJob runs it: one JVM per task, each with its own {@code TF_CONFIG}
 * (chief + worker on 127.0.0.1), running the real {@code tokenlearner train}. Runs only in the
 * {@code distributed} test run, inside a private network namespace (see {@code .ci/run}); every
 * process wait is bounded.
 */
@Tag("distributed")
class DistributedTrainingProcessTest {

  private static final long PROCESS_TIMEOUT_S = 180;

  private static final String CONFIG =
      """
      dataset_name: embedded_shapes
      dataset_configs:
        image_size: [16, 16]
        num_classes: 4
        num_train_examples: 256
        num_eval_examples: 32
      model_name: token_learner_classification
      model:
        hidden_size: 32
        num_heads: 2
        mlp_dim: 64
        num_layers: 2
        tokenizer:
          type: dynamic
          patches:
            size: [4, 4]
          num_tokens: 4
          tokenlearner_loc: 1
          use_v11: true
        representation_size: null
        classifier: gap
        dropout_rate: 0.0
        attention_dropout_rate: 0.0
      # SGD with momentum: with Adam, parameters whose true gradient is zero (TokenLearner's
      # token_masking bias, shifted away by a softmax) turn float noise into full-size updates.
      optimizer: sgd
      optimizer_configs: {momentum: 0.9}
      batch_size: 16
      eval_batch_size: 32
      rng_seed: 3
      num_training_steps: %d
      checkpoint_steps: %d
      log_summary_steps: 2
      log_eval_steps: 1000
      lr_configs:
        learning_rate_schedule: compound
        factors: constant*linear_warmup
        warmup_steps: 2
        base_learning_rate: 0.1
      """;

  @TempDir Path dir;

  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void train_chiefAndWorkerProcesses_equalOneProcessAndOnlyChiefWrites(TestReporter reporter)
      throws Exception {
    Path config = config(8, 4);
    List<String> cluster = addresses(2);
    Path chiefDir = dir.resolve("chief");
    Path workerDir = dir.resolve("worker");
    Process chief = launch(config, cluster, "chief", 0, chiefDir);
    Process worker = launch(config, cluster, "worker", 0, workerDir);

    assertEquals(0, waitFor(chief), () -> log("chief"));
    assertEquals(0, waitFor(worker), () -> log("worker"));

    FlaxTrainState distributed =
        FlaxMsgpackReader.readTrainState(Checkpoints.latest(chiefDir).orElseThrow());
    assertEquals(8, distributed.step());
    assertTrue(Files.isDirectory(chiefDir.resolve(WorkdirExport.SAVED_MODEL_DIR)));
    assertFalse(Checkpoints.latest(workerDir).isPresent(), "the worker wrote a checkpoint");
    assertFalse(Files.exists(workerDir.resolve(Trainer.METRICS_CSV)));
    assertFalse(Files.exists(workerDir.resolve(Trainer.TENSORBOARD_DIR)));

    List<Double> losses =
        MetricsLog.read(chiefDir.resolve(Trainer.METRICS_CSV)).stream()
            .filter(r -> r.split().equals("train") && r.name().equals("loss"))
            .map(MetricsLog.Row::value)
            .toList();
    assertTrue(losses.get(losses.size() - 1) < losses.get(0), "train loss: " + losses);

    Path single = dir.resolve("single");
    Trainer.run(ConfigLoader.load(config), single, false, Optional.empty(), TrainOptions.quiet());
    FlaxTrainState reference =
        FlaxMsgpackReader.readTrainState(Checkpoints.latest(single).orElseThrow());
    float largest = 0;
    String where = "";
    for (String path : reference.params().keySet()) {
      float[] a = reference.params().get(path).data();
      float[] b = distributed.params().get(path).data();
      for (int i = 0; i < a.length; i++) {
        if (Math.abs(a[i] - b[i]) > largest) {
          largest = Math.abs(a[i] - b[i]);
          where = path + "[" + i + "] " + a[i] + " vs " + b[i];
        }
      }
    }
    reporter.publishEntry("largestParameterDifference", Float.toString(largest));
    // Observed 1.2e-7 after 8 steps.
    assertTrue(largest <= 1e-6f, "largest difference to one process: " + largest + " at " + where);
  }

  @Test
  void train_workerKilledMidRun_chiefExitsNonZeroAndRestartResumes(TestReporter reporter)
      throws Exception {
    Path config = config(4000, 2);
    List<String> cluster = addresses(2);
    Path workdir = dir.resolve("shared");
    Process chief = launch(config, cluster, "chief", 0, workdir);
    Process worker = launch(config, cluster, "worker", 0, workdir);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PROCESS_TIMEOUT_S);
    while (Checkpoints.latest(workdir).isEmpty()) {
      assertTrue(System.nanoTime() < deadline, () -> "no checkpoint: " + log("chief"));
      assertTrue(chief.isAlive() && worker.isAlive(), () -> log("chief") + log("worker"));
      Thread.sleep(100);
    }
    worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    long killed = System.nanoTime();
    assertTrue(
        chief.waitFor(30, TimeUnit.SECONDS),
        () -> "the chief still runs 30 s after the kill: " + log("chief"));
    double seconds = (System.nanoTime() - killed) / 1e9;
    reporter.publishEntry("chiefExitSecondsAfterKill", Double.toString(seconds));
    assertEquals(Main.EXIT_REPLICA_FAILED, chief.exitValue(), () -> log("chief"));
    assertTrue(seconds < 15, "the chief took " + seconds + " s to exit");
    assertTrue(log("chief").contains("--resume"), () -> log("chief"));

    long saved = FlaxMsgpackReader.readTrainState(Checkpoints.latest(workdir).get()).step();
    long stop = saved + 2;
    Process chief2 =
        launch(config, cluster, "chief", 0, workdir, "--resume", "--stop-after", "" + stop);
    Process worker2 =
        launch(config, cluster, "worker", 0, workdir, "--resume", "--stop-after", "" + stop);
    assertEquals(0, waitFor(chief2), () -> log("chief"));
    assertEquals(0, waitFor(worker2), () -> log("worker"));
    assertTrue(log("chief").contains("resumed from"), () -> log("chief"));
    assertTrue(log("worker").contains("resumed from"), () -> log("worker"));
    assertEquals(stop, FlaxMsgpackReader.readTrainState(Checkpoints.latest(workdir).get()).step());
  }

  @Test
  void train_workerNeverStarts_chiefNamesItAndTimesOut() throws Exception {
    Path config = config(4, 4);
    List<String> cluster = addresses(2);
    Process chief =
        launch(config, cluster, "chief", 0, dir.resolve("alone"), "--startup-timeout", "3");
    assertEquals(Main.EXIT_REPLICA_FAILED, waitFor(chief), () -> log("chief"));
    String log = log("chief");
    assertTrue(log.contains("waits for /job:worker/replica:0/task:0"), log);
    assertTrue(log.contains("/job:worker/replica:0/task:0 at " + cluster.get(1)), log);
    assertTrue(log.contains("did not start within 3 s"), log);
  }

  private Path config(int steps, int checkpointEvery) throws IOException {
    Path p = dir.resolve("tiny-" + steps + ".yaml");
    Files.writeString(p, CONFIG.formatted(steps, checkpointEvery), StandardCharsets.UTF_8);
    return p;
  }

  private Process launch(
      Path config, List<String> cluster, String type, int index, Path workdir, String... extra)
      throws IOException {
    String tfConfig =
        "{\"cluster\": {\"chief\": [\"%s\"], \"worker\": [\"%s\"], \"ps\": [\"127.0.0.1:1\"]},"
                .formatted(cluster.get(0), cluster.get(1))
            + " \"task\": {\"type\": \"%s\", \"index\": %d}, \"environment\": \"cloud\"}"
                .formatted(type, index);
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path")));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of("train", "--config", config.toString(), "--workdir", workdir.toString()));
    cmd.addAll(List.of(extra));
    cmd.addAll(List.of("--collective-timeout", "60"));
    if (!List.of(extra).contains("--startup-timeout")) {
      cmd.addAll(List.of("--startup-timeout", "60"));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.to(dir.resolve(type + ".log").toFile()));
    pb.environment().put("TF_CONFIG", tfConfig);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    started.add(p);
    return p;
  }

  private static int waitFor(Process p) throws InterruptedException {
    if (!p.waitFor(PROCESS_TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("process did not finish within " + PROCESS_TIMEOUT_S + " s");
    }
    return p.exitValue();
  }

  private String log(String type) {
    try {
      String text = Files.readString(dir.resolve(type + ".log"), StandardCharsets.UTF_8);
      return text.substring(Math.max(0, text.length() - 6000));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static List<String> addresses(int n) throws IOException {
    List<String> out = new ArrayList<>();
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        out.add("127.0.0.1:" + s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return out;
  }
}
