package dev.tokenlearner.bench;

import dev.tokenlearner.config.Classifier;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.LrConfig;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.config.TokenizerType;
import dev.tokenlearner.config.TrainConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.train.StepResult;
import dev.tokenlearner.train.TrainStep;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Checks that the benchmark's two training steps compute the same thing: our {@link TrainStep} and
 * the Python reference's step ({@code vit_xla_reference.py}, graph mode and XLA) start from the
 * same weights, take the same batch for a few steps, and must report the same loss and gradient
 * norm (before clipping) at every step, so the loss after the first update also checks clipping,
 * the learning-rate schedule and the AdamW update.
 *
 * <p>The model is tiny (64 wide, 2 blocks, TokenLearner 4 tokens before block 1, 64x64 images,
 * patch 16, 10 classes) with the benchmark recipe's loss, optimizer and clipping; dropout is off
 * (the two sides draw different masks) and the schedule warms up over two steps so that the rate is
 * 0, then non-zero, within the check.
 */
public final class StepCheck {

  /** Steps run on each side. */
  static final int STEPS = 4;

  /** Largest accepted relative difference of a loss or gradient norm. */
  static final double TOLERANCE = 1e-4;

  private static final int BATCH = 4;

  /**
   * Both sides' losses and gradient norms, per step.
   *
   * @param ours our losses and gradient norms, {@code [step][0: loss, 1: norm]}
   * @param python Python's, by mode ({@code graph}, {@code xla})
   */
  public record Result(double[][] ours, Map<String, double[][]> python) {

    /** Copies the map. */
    public Result {
      python = Map.copyOf(python);
    }

    /** The largest relative difference between ours and any Python mode, over steps and values. */
    public double maxRelativeDifference() {
      double max = 0;
      for (double[][] py : python.values()) {
        for (int s = 0; s < ours.length; s++) {
          for (int k = 0; k < 2; k++) {
            double d = Math.abs(ours[s][k] - py[s][k]) / Math.max(Math.abs(ours[s][k]), 1e-12);
            max = Math.max(max, d);
          }
        }
      }
      return max;
    }

    /** Whether every value agrees within {@link #TOLERANCE}. */
    public boolean agrees() {
      return maxRelativeDifference() <= TOLERANCE;
    }

    /** One line for the log and the table's footnote. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append(
          String.format(
              Locale.ROOT,
              "same training step, %d steps from the same weights (tiny TokenLearner, AdamW,"
                  + " clipping): losses ours",
              ours.length));
      for (double[] s : ours) {
        sb.append(String.format(Locale.ROOT, " %.6f", s[0]));
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "; largest relative difference of loss and gradient norm vs Python graph and XLA"
                  + " %.1e (%s %.0e)",
              maxRelativeDifference(),
              agrees() ? "within" : "ABOVE",
              TOLERANCE));
      return sb.toString();
    }
  }

  private StepCheck() {}

  /**
   * The experiment of the check: the benchmark recipe's training with the tiny model.
   *
   * @return the experiment
   */
  static ExperimentConfig experiment() {
    TokenizerConfig tok =
        new TokenizerConfig(
            TokenizerType.DYNAMIC, new int[] {16, 16}, 4, 1, false, true, Optional.empty());
    ModelConfig model =
        new ModelConfig(64, 4, 128, 2, OptionalInt.empty(), Classifier.GAP, 0.0, 0.0, 0.0, tok);
    InputSpec input = new InputSpec(64, 64, InputSpec.CHANNELS_DEFAULT, 0, 10);
    ExperimentConfig recipe = ConfigLoader.loadResource(ModelRunner.TRAINING_RECIPE);
    LrConfig r = recipe.train().lrConfigs().orElseThrow();
    LrConfig lr =
        new LrConfig(
            r.learningRateSchedule(),
            r.factors(),
            1e-3,
            2,
            OptionalLong.of(20),
            r.endLearningRate(),
            r.stepsPerCycle(),
            r.warmupAlpha(),
            r.alpha(),
            r.timescale());
    TrainConfig t = recipe.train();
    TrainConfig train =
        new TrainConfig(
            t.optimizer(),
            t.explicitWeightDecay(),
            t.l2DecayFactor(),
            t.maxGradNorm(),
            t.labelSmoothing(),
            OptionalInt.of(BATCH),
            t.evalBatchSize(),
            t.numTrainingSteps(),
            t.numTrainingEpochs(),
            t.logEvalSteps(),
            t.logSummarySteps(),
            t.checkpointSteps(),
            t.maxCheckpointKeep(),
            t.rngSeed(),
            t.initHeadBias(),
            Optional.of(lr),
            t.dataset());
    return recipe.toBuilder()
        .model(model)
        .input(input)
        .train(train)
        .source("XLA bench step check (tiny model) with " + ModelRunner.TRAINING_RECIPE)
        .build();
  }

  /**
   * Runs our step, then the Python script's two modes, from the same weights and batch.
   *
   * @return both sides' losses and norms
   * @throws IOException if the exchange directory cannot be written or the script fails
   */
  public static Result run() throws IOException {
    ExperimentConfig e = experiment();
    Path dir = Files.createTempDirectory("tokenlearner-step-check");
    try {
      double[][] ours = new double[STEPS][];
      try (TrainStep step = TrainStep.builder(e).xla(false).build();
          TFloat32 images = Inputs.images(e.input(), BATCH, 5L);
          TInt32 labels = Inputs.labels(e.input().numClasses(), BATCH)) {
        step.initialize();
        Map<String, HostArray> arrays = new LinkedHashMap<>(step.params());
        arrays.put("images", host(images));
        arrays.put("labels", labelsAsFloats(labels));
        write(dir, arrays);
        for (int s = 0; s < STEPS; s++) {
          StepResult r = step.run(images, labels, s);
          ours[s] = new double[] {r.loss(), r.gradNorm()};
        }
      }
      List<String> args =
          new ArrayList<>(PythonModelArgs.of(e, BATCH, ModelRunner.Kind.TRAIN_STEP));
      args.addAll(List.of("--check", dir.toString(), "--steps", Integer.toString(STEPS)));
      List<String> lines = PythonReference.runScriptLines(XlaBench.PYTHON_SCRIPT, args);
      Map<String, double[][]> py = parse(lines);
      if (py.isEmpty()) {
        throw new IOException(
            "step check: the Python script printed no PY_STEPS lines: "
                + (lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1)));
      }
      return new Result(ours, py);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /**
   * Runs the check and prints every value and the verdict; exits with 1 when they disagree.
   *
   * @param args none
   * @throws IOException if the check cannot run
   */
  public static void main(String[] args) throws IOException {
    Result r = run();
    print("ours", r.ours());
    r.python().forEach((mode, v) -> print("python " + mode, v));
    System.out.println(r.describe());
    if (!r.agrees()) {
      System.exit(1);
    }
  }

  private static void print(String who, double[][] v) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-13s", who));
    for (double[] s : v) {
      sb.append(String.format(Locale.ROOT, "  loss %.7f norm %.6f", s[0], s[1]));
    }
    System.out.println(sb);
  }

  /** Parses {@code PY_STEPS <mode> <loss> <norm> ...} lines. */
  static Map<String, double[][]> parse(List<String> lines) throws IOException {
    Map<String, double[][]> out = new LinkedHashMap<>();
    for (String line : lines) {
      String[] p = line.trim().split("\\s+");
      if (p.length < 2 || !p[0].equals("PY_STEPS")) {
        continue;
      }
      if (p.length != 2 + 2 * STEPS) {
        throw new IOException("step check: expected " + STEPS + " steps in: " + line);
      }
      double[][] v = new double[STEPS][2];
      for (int s = 0; s < STEPS; s++) {
        v[s][0] = Double.parseDouble(p[2 + 2 * s]);
        v[s][1] = Double.parseDouble(p[3 + 2 * s]);
      }
      out.put(p[1], v);
    }
    return out;
  }

  /**
   * Writes each array as {@code NAME.f32} (little-endian float32, '/' in the name as '.') and lists
   * it in {@code manifest.txt} as {@code name d0 d1 ...}, the format the script's check reads.
   */
  static void write(Path dir, Map<String, HostArray> arrays) throws IOException {
    StringBuilder manifest = new StringBuilder();
    for (Map.Entry<String, HostArray> en : arrays.entrySet()) {
      HostArray a = en.getValue();
      ByteBuffer buf = ByteBuffer.allocate(a.data().length * Float.BYTES);
      buf.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(a.data());
      Files.write(dir.resolve(en.getKey().replace('/', '.') + ".f32"), buf.array());
      manifest.append(en.getKey());
      for (long d : a.shape()) {
        manifest.append(' ').append(d);
      }
      manifest.append('\n');
    }
    Files.writeString(dir.resolve("manifest.txt"), manifest, StandardCharsets.UTF_8);
  }

  private static HostArray host(TFloat32 t) {
    float[] v = new float[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(v, false, false));
    return new HostArray(t.shape().asArray(), v);
  }

  private static HostArray labelsAsFloats(TInt32 t) {
    int[] v = new int[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(v, false, false));
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = v[i];
    }
    return new HostArray(Shape.of(v.length).asArray(), f);
  }
}
