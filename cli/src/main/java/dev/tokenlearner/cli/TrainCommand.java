package dev.tokenlearner.cli;

import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.graph.config.ExperimentConfig;
import dev.tokenlearner.graph.config.RuntimeConfig;
import dev.tokenlearner.ops.InvalidInputException;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
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
    description = "Train a TokenLearner model (Scenic's recipe) on CPU or GPU; write Scenic-format checkpoints, TensorBoard logs and a SavedModel.")
final class TrainCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Option(names = "--workdir", required = true, paramLabel = "DIR",
      description = "Checkpoints, tensorboard/, metrics.csv, curves.png and saved_model/ go here.")
  Path workdir;

  @Option(names = "--serving-root", paramLabel = "DIR",
      description = "Also publish the trained SavedModel as DIR/<next version>/ (TF Serving's layout), atomically.")
  Path servingRoot;

  @Option(names = "--resume", description = "Continue from the newest checkpoint in --workdir.")
  boolean resume;

  @Option(names = "--data", paramLabel = "PATH",
      description = "Training data replacing the config's dataset: an image folder (one sub-folder per class), TFRecord file(s), or a .npz with arrays 'images' (float32 [N,H,W,C] or [N,T,H,W,C], fed as stored) and 'labels' (int [N]).")
  Path data;

  @Option(names = "--eval-data", paramLabel = "FILE.npz",
      description = "Held-out arrays ('images', 'labels') for .npz training data; without it the training arrays are evaluated.")
  Path evalData;

  @Option(names = "--xla", negatable = true,
      description = "Compile forward, backward and gradient clipping as one XLA computation (config key jit). Default: the config's jit, else off.")
  Boolean xla;

  @Option(names = "--device", paramLabel = "cpu|gpu|auto",
      description = "Where steps run (config key device, default auto). gpu fails at start, naming what is missing, when no GPU can be used.")
  String device;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ExperimentConfig cfg =
        RuntimeConfig.override(
            config.load(),
            Optional.ofNullable(xla),
            Optional.ofNullable(device).map(RuntimeConfig.Device::parse));
    TrainOptions options = TrainOptions.defaults();
    if (evalData != null) {
      options = options.withEvalData(evalData);
    }
    TrainSummary s = Trainer.run(cfg, workdir, resume, Optional.ofNullable(data), options);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "trained steps %d..%d of %d on %s in %.1f s (%.1f images/s), device %s%n",
        s.startStep(), s.finalStep(), s.totalSteps(), s.dataset(), s.wallSeconds(), s.imagesPerSecond(), s.device());
    out.printf(Locale.ROOT, "train loss %.4f, train accuracy %.3f%n", s.trainLoss(), s.trainAccuracy());
    if (s.evalAccuracy().isPresent()) {
      out.printf(Locale.ROOT, "held-out loss %.4f, held-out accuracy %.3f%n",
          s.evalLoss().orElse(Double.NaN), s.evalAccuracy().getAsDouble());
    }
    s.lastCheckpoint().ifPresent(p -> out.println("checkpoint: " + p));
    s.savedModel().ifPresent(p -> out.println("SavedModel: " + p));
    if (servingRoot != null) {
      if (s.savedModel().isEmpty()) {
        throw new InvalidInputException(
            "training stopped before its last step, so there is no SavedModel to publish to "
                + servingRoot);
      }
      out.println("serving version: " + ServingRoot.publish(servingRoot, s.savedModel().get()));
    }
    out.println("TensorBoard: " + s.tensorboardDir());
    out.println("curves: " + s.curvesPng());
    out.flush();
    return 0;
  }
}
