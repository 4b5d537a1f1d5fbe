package dev.tokenlearner.cli;

import dev.tokenlearner.bench.BenchOptions;
import dev.tokenlearner.bench.BenchReport;
import dev.tokenlearner.bench.Benchmark;
import dev.tokenlearner.bench.CollectiveCost;
import dev.tokenlearner.bench.InputBench;
import dev.tokenlearner.bench.ModelRunner;
import dev.tokenlearner.bench.PrecisionBench;
import dev.tokenlearner.bench.ProfileBench;
import dev.tokenlearner.bench.ScalingBench;
import dev.tokenlearner.bench.TrainAllReduceBench;
import dev.tokenlearner.bench.TrainInputBench;
import dev.tokenlearner.bench.XlaBench;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.core.AtomicFile;
import dev.tokenlearner.ops.ComputeDtype;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Measures TokenLearner's speedups against FLOP ratios, the machine's peak, training and import.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark plain ViTs against TokenLearner variants in one run; write results.md, results.csv and speedup.png.")
final class BenchCommand implements Callable<Integer> {

  @Option(
      names = "--quick",
      description = "Ti/16 and S/16 at batch 8 only (a few minutes on 2 cores).")
  boolean quick;

  @Option(
      names = "--out",
      defaultValue = "results",
      paramLabel = "DIR",
      description = "Results folder. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(
      names = "--configs",
      split = ",",
      paramLabel = "PATTERN",
      description = "Only configs whose names contain one of these (their plain ViTs are kept).")
  List<String> configs;

  @Option(
      names = "--batches",
      split = ",",
      paramLabel = "N",
      description = "Inference batch sizes.")
  List<Integer> batches;

  @Option(
      names = "--train-batch",
      paramLabel = "N",
      description = "Training-step batch size (0 skips training).")
  Integer trainBatch;

  @Option(
      names = "--repetitions",
      paramLabel = "N",
      description = "Timed runs per configuration (after warm-up).")
  Integer repetitions;

  @Option(
      names = "--skip",
      split = ",",
      paramLabel = "PART",
      description =
          "Parts to skip: sweep, processes, peak, import, python (and train for --input; forward or train for --xla: only the other rows).")
  List<String> skip = List.of();

  @Option(
      names = "--xla",
      description =
          "Instead: our plain and XLA-compiled graphs against Python TF with and without jit_compile (Ti/16, S/16 and B/16 at batch 8, plain and TokenLearner 8@L/2, forward and the trainer's step; at most 3 timed runs for B/16). Python comes from TOKENLEARNER_PYTHON (default python3).")
  boolean xla;

  @Option(
      names = "--xla-sizes",
      split = ",",
      paramLabel = "SIZE",
      description = "ViT sizes of the --xla rows (Ti, S, B, ...). Default: Ti,S,B.")
  List<String> xlaSizes;

  @Option(
      names = "--precision",
      paramLabel = "DTYPE",
      description =
          "Instead: float32 against DTYPE (bfloat16 or float16) on the same models, interleaved (Ti/16 at batch 8, plain and TokenLearner 8@L/2, forward and training step).")
  String precision;

  @Option(
      names = "--precision-sizes",
      split = ",",
      paramLabel = "SIZE",
      description = "ViT sizes of the --precision rows. Default: Ti.")
  List<String> precisionSizes;

  @Option(
      names = "--precision-xla",
      description = "Compile both sides of the --precision rows with XLA.")
  boolean precisionXla;

  @Option(
      names = "--input",
      description =
          "Measure the training input pipeline instead: images/s at 1 and N threads, Python tf.data on the same files, and the trainer's input wait.")
  boolean input;

  @Option(
      names = "--train-input",
      description =
          "Instead: end-to-end training on --data with a near-free model (1 block of width 32, patch 32, TokenLearner 4 tokens before block 0, batch --train-batch, default 64): our trainer against Python tf.data feeding a tf.function step of the same model (TOKENLEARNER_PYTHON), alternating for --rounds rounds of 10 warm-up and --repetitions timed steps (default 50).")
  boolean trainInput;

  @Option(
      names = "--variants",
      split = ",",
      paramLabel = "PROPS",
      description =
          "Runs of our trainer per --train-input round, each '-' or key=value[;key=value] system properties for that run (an A/B of a setting such as tokenlearner.input.pool=shared). Default: -.")
  List<String> variants;

  @Option(
      names = "--rounds",
      paramLabel = "N",
      description = "Alternating rounds of --train-input (default 3).")
  Integer rounds;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Image folder (one sub-folder per class) for --input and --train-input.")
  Path data;

  @Option(
      names = "--threads",
      split = ",",
      paramLabel = "N",
      description = "Worker thread counts for --input. Default: 1 and the core count.")
  List<Integer> threads;

  @Option(
      names = "--profile",
      paramLabel = "CONFIG",
      description =
          "Instead: profile one config (e.g. 'Ti/16 tl8@6'): its forward pass at the first --batches size (default 8) and the trainer's step at --train-batch (default 8) with TensorFlow's step stats; prints the top ops by time and the host time outside Session.run, writes Chrome traces to --out. --repetitions traced runs (default 5), --xla compiles as --xla does.")
  String profile;

  @Option(
      names = "--allreduce",
      description =
          "Instead: the all-reduce of --floats float32 values over --replicas in-process TensorFlow servers (gRPC over loopback; run inside a private network namespace, e.g. unshare -n), next to one loopback TCP stream and Python TF's collective all-reduce (TOKENLEARNER_PYTHON, default python3; --skip python leaves it out).")
  boolean allreduce;

  @Option(
      names = "--allreduce-train",
      paramLabel = "CONFIG",
      description =
          "Instead: the trainer's step of CONFIG (a bundled name or a file) with --replicas in-process replicas, allreduce_impl collective against ring in one process, alternating --rounds rounds (default 5) of --repetitions steps (default 10) after 3 warm-up steps; prints steps/s and the load average. Starts TensorFlow servers: run inside a private network namespace.")
  String allreduceTrain;

  @Option(
      names = "--floats",
      paramLabel = "N",
      description =
          "Length of the --allreduce vector. Default: ${DEFAULT-VALUE} (S/16's gradients).",
      defaultValue = "22000000")
  long floats;

  @Option(
      names = "--replicas",
      paramLabel = "N",
      description = "Replicas of --allreduce. Default: ${DEFAULT-VALUE}.",
      defaultValue = "2")
  int replicas;

  @Option(
      names = "--bucket-mb",
      paramLabel = "MIB",
      description =
          "Bucket size of --allreduce (the trainer's allreduce_bucket_mb). Default: ${DEFAULT-VALUE}.",
      defaultValue = "25")
  double bucketMb;

  @Option(
      names = "--chunk-mb",
      paramLabel = "MIB",
      description =
          "Largest single collective of --allreduce on CPU; larger packs are split. Default: ${DEFAULT-VALUE}.",
      defaultValue = "2")
  double chunkMb;

  @Option(
      names = "--allreduce-dtype",
      paramLabel = "DTYPE",
      description =
          "Wire dtype of --allreduce: float32, or bfloat16 (gathered, summed in float32; the trainer's allreduce_dtype). Default: ${DEFAULT-VALUE}.",
      defaultValue = "float32")
  String allreduceDtype;

  @Option(
      names = "--scaling",
      description =
          "Instead: measure the forward pass and training step of ViT Ti/S/B/L-16 (batch from --batches, default 2) and predict the data-parallel step time and efficiency at 2-64 workers on 25 and 100 Gb/s, with and without overlapping the all-reduce with the backward pass.")
  boolean scaling;

  @Option(
      names = "--scaling-sizes",
      split = ",",
      paramLabel = "SIZE",
      description = "ViT sizes of --scaling. Default: Ti,S,B,L.")
  List<String> scalingSizes;

  @Option(
      names = "--link-efficiency",
      paramLabel = "F",
      description =
          "Fraction of the link speed the all-reduce reaches in --scaling (1 = an ideal ring such as NCCL's; bench --allreduce prints ours against loopback TCP). Default: ${DEFAULT-VALUE}.",
      defaultValue = "1")
  double linkEfficiency;

  @Option(
      names = "--compute-speedup",
      split = ",",
      paramLabel = "F",
      description =
          "Tables of --scaling with the measured compute divided by each F, for workers F times faster than this machine. Default: 1.")
  List<Double> computeSpeedup = List.of(1.0);

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (profile != null) {
      ProfileBench.Options po =
          new ProfileBench.Options(
              ProfileBench.config(profile),
              firstBatchOr(8),
              trainBatch != null ? trainBatch : 8,
              2,
              repetitions != null ? repetitions : 5,
              xla,
              out);
      spec.commandLine().getOut().println(ProfileBench.run(po, System.err));
      spec.commandLine().getOut().flush();
      return 0;
    }
    if (xla) {
      XlaBench.Options d = XlaBench.Options.defaults();
      XlaBench.Options xo =
          new XlaBench.Options(
              sizesOr(xlaSizes, d.sizes()),
              firstBatchOr(d.batch()),
              d.warmup(),
              repetitions != null ? repetitions : d.repetitions(),
              d.kinds().stream()
                  .filter(k -> !skip.contains(k == ModelRunner.Kind.FORWARD ? "forward" : "train"))
                  .toList(),
              !skip.contains("python"));
      List<XlaBench.Row> rows = XlaBench.run(xo, System.err);
      spec.commandLine().getOut().println(XlaBench.markdown(rows, xo.batch()));
      spec.commandLine().getOut().flush();
      return 0;
    }
    if (precision != null) {
      return precisionBench();
    }
    if (allreduce) {
      return allReduceBench();
    }
    if (allreduceTrain != null) {
      return allReduceTrainBench();
    }
    if (scaling) {
      return scalingBench();
    }
    if (input) {
      return inputBench();
    }
    if (trainInput) {
      return trainInputBench();
    }
    BenchOptions base = quick ? BenchOptions.quick(out) : BenchOptions.full(out);
    BenchOptions.Builder b = base.toBuilder();
    if (configs != null) {
      b.configFilter(configs);
    }
    if (batches != null) {
      b.batches(batches);
    }
    if (trainBatch != null) {
      b.trainBatch(trainBatch);
    }
    if (repetitions != null) {
      b.repetitions(repetitions);
    }
    BenchOptions o =
        b.sweep(base.sweep() && !skip.contains("sweep"))
            .sweepProcesses(base.sweepProcesses() && !skip.contains("processes"))
            .peak(base.peak() && !skip.contains("peak"))
            .importBench(base.importBench() && !skip.contains("import"))
            .pythonReference(base.pythonReference() && !skip.contains("python"))
            .build();
    BenchReport report = Benchmark.run(o);
    spec.commandLine().getOut().println(report.toMarkdown());
    spec.commandLine().getOut().println("results written to " + out.toAbsolutePath());
    spec.commandLine().getOut().flush();
    return 0;
  }

  private int inputBench() throws java.io.IOException {
    if (data == null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--input needs --data DIR (an image folder)");
    }
    int cores = Runtime.getRuntime().availableProcessors();
    List<Integer> t = threads != null ? threads : cores > 1 ? List.of(1, cores) : List.of(1);
    int steps = repetitions != null ? repetitions : quick ? 10 : 30;
    InputBench.Result r =
        InputBench.run(
            data,
            224,
            trainBatch != null && trainBatch > 0 ? trainBatch : 32,
            3,
            steps,
            t,
            !skip.contains("python"),
            !skip.contains("train"));
    return writeReport("input.md", r.toMarkdown());
  }

  private int trainInputBench() throws java.io.IOException {
    if (data == null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--train-input needs --data DIR (an image folder)");
    }
    int warmup = 10;
    int steps = repetitions != null ? repetitions : quick ? 20 : 50;
    if (steps % warmup != 0) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--repetitions for --train-input must be a multiple of " + warmup);
    }
    TrainInputBench.Result r =
        TrainInputBench.run(
            data,
            trainBatch != null && trainBatch > 0 ? trainBatch : 64,
            warmup,
            steps,
            rounds != null ? rounds : quick ? 1 : 3,
            variants != null ? variants : List.of("-"),
            !skip.contains("python"),
            System.err);
    return writeReport("train-input.md", r.toMarkdown());
  }

  private int scalingBench() {
    ScalingBench.Options d = ScalingBench.Options.defaults();
    ScalingBench.Options o =
        new ScalingBench.Options(
            sizesOr(scalingSizes, d.sizes()),
            firstBatchOr(d.batch()),
            d.warmup(),
            repetitions != null ? repetitions : d.runs(),
            d.workers(),
            d.gigabitsPerSecond(),
            linkEfficiency,
            d.latencyMicros(),
            1.0,
            (long) (bucketMb * (1 << 20)));
    List<ScalingBench.Compute> computes = ScalingBench.measure(o, System.err);
    spec.commandLine().getOut().println(ScalingBench.markdown(computes, o, computeSpeedup));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private int allReduceBench() throws Exception {
    CollectiveCost.Options o =
        new CollectiveCost.Options(
            floats,
            replicas,
            3,
            repetitions != null ? repetitions : quick ? 5 : 15,
            !skip.contains("python"),
            (long) (bucketMb * (1 << 20)),
            (long) (chunkMb * (1 << 20)),
            switch (allreduceDtype) {
              case "float32" -> false;
              case "bfloat16" -> true;
              default ->
                  throw new picocli.CommandLine.ParameterException(
                      spec.commandLine(),
                      "--allreduce-dtype must be float32 or bfloat16, got " + allreduceDtype);
            });
    CollectiveCost.Report r = CollectiveCost.run(o, System.err);
    r.lines().forEach(spec.commandLine().getOut()::println);
    spec.commandLine().getOut().flush();
    return 0;
  }

  private int allReduceTrainBench() throws Exception {
    TrainAllReduceBench.Options o =
        new TrainAllReduceBench.Options(
            ConfigLoader.loadNamed(allreduceTrain),
            replicas,
            3,
            rounds != null ? rounds : 5,
            repetitions != null ? repetitions : 10);
    TrainAllReduceBench.Report r = TrainAllReduceBench.run(o, System.err);
    r.lines().forEach(spec.commandLine().getOut()::println);
    spec.commandLine().getOut().flush();
    return 0;
  }

  private Integer precisionBench() {
    PrecisionBench.Options d = PrecisionBench.Options.defaults();
    PrecisionBench.Options po =
        new PrecisionBench.Options(
            sizesOr(precisionSizes, d.sizes()),
            ComputeDtype.of(precision),
            precisionXla,
            firstBatchOr(d.batch()),
            d.warmup(),
            repetitions != null ? repetitions : d.repetitions(),
            d.kinds());
    List<PrecisionBench.Row> rows = PrecisionBench.run(po, System.err);
    spec.commandLine().getOut().println(PrecisionBench.markdown(rows, po));
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** The first {@code --batches} size, else {@code fallback}. */
  private int firstBatchOr(int fallback) {
    return batches != null && !batches.isEmpty() ? batches.get(0) : fallback;
  }

  /**
   * ViT sizes named on the command line (Scenic names such as {@code Ti}), else {@code fallback}.
   */
  private static List<ViTSize> sizesOr(List<String> named, List<ViTSize> fallback) {
    return named == null ? fallback : named.stream().map(ViTSize::fromScenicName).toList();
  }

  /** Writes a Markdown report to {@code out/fileName} (temp file, then rename) and prints it. */
  private int writeReport(String fileName, String markdown) throws java.io.IOException {
    Path file = out.resolve(fileName);
    java.nio.file.Files.createDirectories(out);
    byte[] bytes = markdown.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    AtomicFile.write(file, o -> o.write(bytes));
    spec.commandLine().getOut().println(markdown);
    spec.commandLine().getOut().println("results written to " + file.toAbsolutePath());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
