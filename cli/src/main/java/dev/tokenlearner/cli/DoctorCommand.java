package dev.tokenlearner.cli;

import dev.tokenlearner.bench.BenchConfig;
import dev.tokenlearner.bench.ConfigMatrix;
import dev.tokenlearner.bench.Flops;
import dev.tokenlearner.bench.GpuCheck;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.RuntimeConfig;
import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.train.Devices;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.tensorflow.TensorFlow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Checks the runtime: TensorFlow's version and natives and whether a GPU can be used; with {@code
 * --gpu} also trains the tiny config on the GPU and benchmarks ViT-B/16 there.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description =
        "Check TensorFlow's natives and the GPU; --gpu also trains the tiny config 100 steps on the"
            + " GPU and benchmarks B/16 at batch 64 (XLA off/on, plain vs TokenLearner).")
final class DoctorCommand implements Callable<Integer> {

  @Option(
      names = "--gpu",
      description = "Fail unless a GPU is usable, then train and benchmark on it.")
  boolean gpu;

  @Option(
      names = "--steps",
      defaultValue = "100",
      paramLabel = "N",
      description = "Training steps of the tiny config. Default: ${DEFAULT-VALUE}.")
  int steps;

  @Option(
      names = "--batch",
      defaultValue = "64",
      paramLabel = "N",
      description = "Benchmark batch size. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--repetitions",
      defaultValue = "10",
      paramLabel = "N",
      description = "Timed runs per benchmark row. Default: ${DEFAULT-VALUE}.")
  int repetitions;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    out.println("TensorFlow " + TensorFlow.version());
    out.println("devices:");
    Devices.list().forEach(d -> out.println("  " + d));
    List<String> problems = Devices.gpuProblems();
    if (problems.isEmpty()) {
      out.println("GPU: usable (" + Devices.GPU + ")");
    } else {
      out.println("GPU: not usable:");
      problems.forEach(p -> out.println("  - " + p));
    }
    out.flush();
    if (!gpu) {
      return 0;
    }
    if (!problems.isEmpty()) {
      throw new Devices.GpuUnavailableException("--gpu: no GPU can be used (see above)");
    }
    ExperimentConfig cfg =
        ConfigLoader.withKeys(
            ConfigLoader.loadNamed("tiny"),
            Map.of(
                "num_training_steps",
                steps,
                RuntimeConfig.DEVICE_KEY,
                RuntimeConfig.Device.GPU.configName()));
    Path workdir = Files.createTempDirectory("tokenlearner-doctor");
    TrainSummary s = Trainer.run(cfg, workdir, false, Optional.empty(), TrainOptions.quiet());
    out.printf(
        Locale.ROOT,
        "tiny config: %d steps on %s in %.1f s (%.1f images/s), final train loss %.4f%n",
        s.finalStep() - s.startStep(),
        s.device(),
        s.wallSeconds(),
        s.imagesPerSecond(),
        s.trainLoss());
    out.flush();
    List<BenchConfig> models =
        List.of(
            BenchConfig.plain(ViTSize.B, ConfigMatrix.PATCH, 224),
            BenchConfig.tokenLearner(ViTSize.B, ConfigMatrix.PATCH, 224, 8, 6, false),
            BenchConfig.tokenLearner(ViTSize.B, ConfigMatrix.PATCH, 224, 16, 9, false));
    List<GpuCheck.Row> rows = GpuCheck.measure(models, batch, 3, repetitions, out);
    out.println(GpuCheck.markdown(rows, m -> Flops.count(m).flopRatio()));
    out.println("bf16 rows compute in bfloat16 on float32 weights (model_dtype_str: bfloat16).");
    out.flush();
    return 0;
  }
}
