package dev.tokenlearner.cli;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.RuntimeConfig;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.core.MissingFileException;
import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.train.Devices;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import dev.tokenlearner.train.distributed.ClusterServer;
import dev.tokenlearner.train.distributed.ClusterSpec;
import dev.tokenlearner.train.distributed.CollectiveReplication;
import dev.tokenlearner.train.distributed.CollectiveSettings;
import dev.tokenlearner.train.distributed.LocalReplicas;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains a model from a config and exports it as a SavedModel. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Train a TokenLearner model (Scenic's recipe) on CPU or GPU; write Scenic-format checkpoints, TensorBoard logs and a SavedModel.")
final class TrainCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Option(
      names = "--workdir",
      required = true,
      paramLabel = "DIR",
      description = "Checkpoints, tensorboard/, metrics.csv, curves.png and saved_model/ go here.")
  Path workdir;

  @Option(
      names = "--serving-root",
      paramLabel = "DIR",
      description =
          "Also publish the trained SavedModel as DIR/<next version>/ (TF Serving's layout), atomically; in a cluster only the chief publishes.")
  Path servingRoot;

  @Option(names = "--resume", description = "Continue from the newest checkpoint in --workdir.")
  boolean resume;

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description =
          "Training data replacing the config's dataset: an image folder (one sub-folder per class), TFRecord file(s), or a .npz with arrays 'images' (float32 [N,H,W,C] or [N,T,H,W,C], fed as stored) and 'labels' (int [N]). For a video model: one sub-folder per class of video files (.mp4, .m4v, .mkv, .webm, .avi, .mov) or of frame folders, else DMVR TFRecord file(s).")
  Path data;

  @Option(
      names = "--eval-data",
      paramLabel = "FILE.npz",
      description =
          "Held-out arrays ('images', 'labels') for .npz training data; without it the training arrays are evaluated.")
  Path evalData;

  @Option(
      names = "--xla",
      negatable = true,
      description =
          "Compile the training step (forward, backward, clipping and the optimizer's update) as one XLA computation (config key jit). Default: the config's jit, else chosen from the model's size and the run's length (the log line says which and why).")
  Boolean xla;

  @Option(
      names = "--device",
      paramLabel = "cpu|gpu|auto",
      description =
          "Where steps run (config key device, default auto). gpu fails at start, naming what is missing, when no GPU can be used.")
  String device;

  @Option(
      names = "--stop-after",
      paramLabel = "STEP",
      description =
          "Stop (with a checkpoint) once this step is reached, before the configured end; --resume continues from there.")
  Long stopAfter;

  @Option(
      names = "--profile-steps",
      paramLabel = "N",
      description =
          "Trace N steps (after 2 warm-up steps) with TensorFlow's step stats: log the top ops by time and the host time outside Session.run, write profile_trace.json (Chrome trace) to the workdir.")
  Integer profileSteps;

  @Option(
      names = "--replicas",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Data-parallel replicas in this process, one per CPU device (one in-process TensorFlow task each); batch_size is the global batch. Default: ${DEFAULT-VALUE}.")
  int replicas;

  @Option(
      names = "--cluster-chief",
      paramLabel = "HOST:PORT",
      description =
          "Multi-worker training without TF_CONFIG: the chief's address (with --cluster-worker and --task).")
  String clusterChief;

  @Option(
      names = "--cluster-worker",
      paramLabel = "HOST:PORT",
      split = ",",
      description = "The workers' addresses, in index order (repeat or comma-separate).")
  List<String> clusterWorkers = new ArrayList<>();

  @Option(
      names = "--task",
      paramLabel = "TYPE:INDEX",
      description = "This process's task with --cluster-chief, e.g. chief:0 or worker:1.")
  String task;

  @Option(
      names = "--collective-timeout",
      defaultValue = "300",
      paramLabel = "SECONDS",
      description =
          "Multi-replica: how long a step waits for the other replicas before failing. Default: ${DEFAULT-VALUE}.")
  float collectiveTimeout;

  @Option(
      names = "--startup-timeout",
      defaultValue = "600",
      paramLabel = "SECONDS",
      description =
          "Multi-worker: how long to wait for the other tasks' servers to start. Default: ${DEFAULT-VALUE}.")
  long startupTimeout;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // Paths the user named are checked before the config is built or any data is read.
    if (data != null) {
      MissingFileException.requireExists(data);
    }
    if (evalData != null) {
      MissingFileException.requireExists(evalData);
    }
    ExperimentConfig cfg =
        RuntimeConfig.override(
            config.load(),
            Optional.ofNullable(xla),
            Optional.ofNullable(device).map(RuntimeConfig.Device::parse));
    Optional<Path> dataOverride = Optional.ofNullable(data);
    TrainOptions options =
        TrainOptions.defaults().withProgressBar(Verbosity.of(spec) != Verbosity.QUIET);
    if (evalData != null) {
      options = options.withEvalData(evalData);
    }
    if (stopAfter != null) {
      if (stopAfter <= 0) {
        throw new InvalidInputException("--stop-after must be positive, got " + stopAfter);
      }
      options = options.stopAfter(stopAfter);
    }
    if (profileSteps != null) {
      if (profileSteps < 0) {
        throw new InvalidInputException("--profile-steps must be >= 0, got " + profileSteps);
      }
      options = options.withProfileSteps(profileSteps);
    }
    Optional<ClusterSpec> cluster = cluster();
    TrainSummary s;
    // Only the chief of a cluster writes the SavedModel, so only it publishes a serving version.
    boolean chief = true;
    if (cluster.isPresent()) {
      if (replicas != 1) {
        throw new InvalidInputException(
            "--replicas cannot be combined with a cluster (TF_CONFIG or --cluster-chief)");
      }
      CollectiveReplication replica =
          ClusterServer.start(
              cluster.get(),
              Devices.sessionConfig(options.logDevicePlacement()),
              Duration.ofSeconds(startupTimeout),
              // NCCL when this task trains on a GPU.
              CollectiveSettings.forDevice(
                  Devices.select(cfg.runtime().device(), false).device(), collectiveTimeout));
      chief = replica.isChief();
      s =
          Trainer.run(
              cfg,
              workdir,
              resume,
              dataOverride,
              options.withProgressBar(chief && options.progressBar()),
              replica);
    } else if (replicas > 1) {
      s =
          LocalReplicas.train(
              cfg, workdir, resume, dataOverride, options, replicas, collectiveTimeout);
    } else if (replicas == 1) {
      s = Trainer.run(cfg, workdir, resume, dataOverride, options);
    } else {
      throw new InvalidInputException("--replicas must be at least 1, got " + replicas);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "trained steps %d..%d of %d on %s in %.1f s (%.1f images/s), device %s%n",
        s.startStep(),
        s.finalStep(),
        s.totalSteps(),
        s.dataset(),
        s.wallSeconds(),
        s.imagesPerSecond(),
        s.device());
    out.printf(
        Locale.ROOT, "train loss %.4f, train accuracy %.3f%n", s.trainLoss(), s.trainAccuracy());
    if (s.evalAccuracy().isPresent()) {
      out.printf(
          Locale.ROOT,
          "held-out loss %.4f, held-out accuracy %.3f%n",
          s.evalLoss().orElse(Double.NaN),
          s.evalAccuracy().getAsDouble());
    }
    s.lastCheckpoint().ifPresent(p -> out.println("checkpoint: " + p));
    Optional<Path> savedModel = Optional.empty();
    if (s.finalModel().isPresent()) {
      savedModel = Optional.of(TrainedModelExport.write(cfg, workdir, s.finalModel().get()));
      out.println("SavedModel: " + savedModel.get());
    }
    if (servingRoot != null && chief) {
      if (savedModel.isEmpty()) {
        throw new InvalidInputException(
            "training stopped before its last step, so there is no SavedModel to publish to "
                + servingRoot);
      }
      out.println("serving version: " + ServingRoot.publish(servingRoot, savedModel.get()));
    }
    out.println("TensorBoard: " + s.tensorboardDir());
    out.println("curves: " + s.curvesPng());
    out.println("time: " + s.time().format());
    out.flush();
    return 0;
  }

  /** The cluster from --cluster-chief/--task, else from TF_CONFIG, else none. */
  private Optional<ClusterSpec> cluster() {
    if (clusterChief == null) {
      if (task != null || !clusterWorkers.isEmpty()) {
        throw new InvalidInputException("--task and --cluster-worker need --cluster-chief");
      }
      return ClusterSpec.fromEnvironment();
    }
    if (task == null || !task.matches("[a-z]+:[0-9]+")) {
      throw new InvalidInputException(
          "--cluster-chief needs --task TYPE:INDEX, e.g. --task worker:0");
    }
    String[] parts = task.split(":");
    return Optional.of(
        ClusterSpec.of(clusterChief, clusterWorkers, parts[0], Integer.parseInt(parts[1])));
  }
}
