package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.ops.ComputeDtype;
import dev.tokenlearner.train.TrainStep;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Our plain graph and our XLA-compiled graph against Python TensorFlow's {@code tf.function} with
 * and without {@code jit_compile=True}, on the same models in one run.
 *
 * <p>For each ViT size, the plain ViT and TokenLearner v1.1 with {@value ConfigMatrix#TOKENS_SMALL}
 * tokens at {@code L/2}; for each, the inference forward pass and the trainer's step ({@link
 * dev.tokenlearner.train.TrainStep}: forward with dropout 0.1, the recipe's loss, backward,
 * global-norm clipping, the learning-rate schedule and the AdamW update). The Python script ({@code
 * vit_xla_reference.py}) builds the same model and the same step ({@link PythonModelArgs}); {@link
 * StepCheck} first checks on a tiny model that both steps give the same losses. Per row our two
 * modes run interleaved, then the Python script measures its two modes interleaved, so both sides
 * see the same machine load within a minute or two.
 *
 * <p>Usage: {@code java -cp ... dev.tokenlearner.bench.XlaBench [--sizes Ti,S,B] [--batch 8]
 * [--warmup 2] [--repetitions 5] [--large-repetitions 3] [--kinds forward,train]}; the Python
 * interpreter comes from {@code -Dtokenlearner.python} or {@code TOKENLEARNER_PYTHON} (default
 * {@code python3}).
 */
public final class XlaBench {

  /** The Python reference script, a resource next to this class. */
  static final String PYTHON_SCRIPT = "vit_xla_reference.py";

  /**
   * Timed runs per mode for B/16 and larger unless asked otherwise (one B/16 step takes seconds).
   */
  public static final int LARGE_REPETITIONS = 3;

  /**
   * What to measure.
   *
   * @param sizes ViT sizes
   * @param batch batch size of every row
   * @param warmup discarded runs per mode (the first compiles)
   * @param repetitions measured runs per mode
   * @param largeRepetitions measured runs per mode for B/16 and larger (width 768 and up)
   * @param kinds forward and/or training step
   * @param python whether to run the Python reference
   */
  public record Options(
      List<ViTSize> sizes,
      int batch,
      int warmup,
      int repetitions,
      int largeRepetitions,
      List<ModelRunner.Kind> kinds,
      boolean python) {

    /** Validates the counts. */
    public Options {
      sizes = List.copyOf(sizes);
      kinds = List.copyOf(kinds);
      if (sizes.isEmpty()
          || kinds.isEmpty()
          || batch < 1
          || warmup < 1
          || repetitions < 1
          || largeRepetitions < 1) {
        throw new IllegalArgumentException(
            "need sizes, kinds, batch >= 1, warmup >= 1 (it compiles) and repetitions >= 1");
      }
    }

    /**
     * Options with at most {@value #LARGE_REPETITIONS} measured runs for B/16 and larger.
     *
     * @param sizes ViT sizes
     * @param batch batch size of every row
     * @param warmup discarded runs per mode (the first compiles)
     * @param repetitions measured runs per mode
     * @param kinds forward and/or training step
     * @param python whether to run the Python reference
     */
    public Options(
        List<ViTSize> sizes,
        int batch,
        int warmup,
        int repetitions,
        List<ModelRunner.Kind> kinds,
        boolean python) {
      this(
          sizes,
          batch,
          warmup,
          repetitions,
          Math.min(repetitions, LARGE_REPETITIONS),
          kinds,
          python);
    }

    /**
     * Ti/16, S/16 and B/16 at batch 8, both kinds, 2 warm-up and 5 measured runs (3 for B/16), with
     * Python.
     */
    public static Options defaults() {
      return new Options(
          List.of(ViTSize.TI, ViTSize.S, ViTSize.B),
          8,
          2,
          5,
          List.of(ModelRunner.Kind.FORWARD, ModelRunner.Kind.TRAIN_STEP),
          true);
    }

    /** Measured runs per mode for a size. */
    int repetitions(ViTSize size) {
      return size.hiddenSize() >= ViTSize.B.hiddenSize() ? largeRepetitions : repetitions;
    }
  }

  /**
   * One row.
   *
   * @param model the config name
   * @param kind forward or training step
   * @param graph our plain graph
   * @param xla our XLA-compiled graph (the training step: all of it, the optimizer's update too)
   * @param python Python's modes ({@code graph}, {@code xla}) when it ran
   * @param pythonNote why Python did not run, or empty
   * @param xlaGradients training step only: XLA compiling forward, backward and clipping, with the
   *     update in the plain graph ({@link TrainStep.XlaScope#GRADIENTS})
   */
  public record Row(
      String model,
      ModelRunner.Kind kind,
      Summary graph,
      Summary xla,
      Map<String, Summary> python,
      String pythonNote,
      Optional<Summary> xlaGradients) {

    /** A row without the {@code xlaGradients} column (forward rows). */
    public Row(
        String model,
        ModelRunner.Kind kind,
        Summary graph,
        Summary xla,
        Map<String, Summary> python,
        String pythonNote) {
      this(model, kind, graph, xla, python, pythonNote, Optional.empty());
    }

    /** Python's faster mode's median, or NaN without Python. */
    public double pythonFasterMs() {
      return python.values().stream().mapToDouble(Summary::median).min().orElse(Double.NaN);
    }

    /** Our plain graph (the default mode) against Python's faster mode: above 1 means faster. */
    public double graphVsPythonFaster() {
      return pythonFasterMs() / graph.median();
    }

    /** Our faster mode against Python's faster mode: above 1 means faster. */
    public double bestVsPythonFaster() {
      return pythonFasterMs() / oursBestMs();
    }

    /** Our mode with the lower median. */
    public double oursBestMs() {
      return Math.min(graph.median(), xla.median());
    }

    /** Our throughput over Python XLA's (both medians), or NaN without Python. */
    public double ratioVsPythonXla() {
      Summary py = python.get("xla");
      return py == null ? Double.NaN : py.median() / oursBestMs();
    }
  }

  private XlaBench() {}

  /**
   * Measures every row.
   *
   * @param o the options
   * @param log progress lines
   * @return the rows, in size, model, kind order
   */
  public static List<Row> run(Options o, PrintStream log) {
    Optional<String> noPython =
        o.python() ? PythonReference.probe() : Optional.of("Python reference skipped");
    if (noPython.isEmpty() && o.kinds().contains(ModelRunner.Kind.TRAIN_STEP)) {
      log.println("checking that both training steps compute the same thing");
      try {
        StepCheck.Result check = StepCheck.run();
        log.println("  " + check.describe());
      } catch (IOException | RuntimeException e) {
        log.println("  step check failed: " + e.getMessage());
      }
    }
    List<Row> rows = new ArrayList<>();
    for (ViTSize size : o.sizes()) {
      for (BenchConfig c : ConfigMatrix.plainAndHalfwayTokenLearner(size)) {
        for (ModelRunner.Kind kind : o.kinds()) {
          log.printf(Locale.ROOT, "measuring %s %s at batch %d%n", c.name(), kind, o.batch());
          rows.add(row(c, kind, o, noPython, o.repetitions(size)));
          log.println("  " + line(rows.get(rows.size() - 1)));
        }
      }
    }
    return rows;
  }

  private static Row row(
      BenchConfig c, ModelRunner.Kind kind, Options o, Optional<String> noPython, int reps) {
    double[][] ms;
    Optional<Summary> xlaGradients = Optional.empty();
    try (ModelRunner graph = ModelRunner.open(c, kind, SessionSettings.defaults(), 1L, false);
        ModelRunner xla = ModelRunner.open(c, kind, SessionSettings.defaults(), 1L, true);
        TFloat32 x = Inputs.images(c.input(), o.batch(), 3L);
        TInt32 y = Inputs.labels(c.input().numClasses(), o.batch())) {
      if (kind == ModelRunner.Kind.TRAIN_STEP) {
        // The earlier XLA step (update outside XLA) interleaved with the other two.
        try (ModelRunner grads =
            ModelRunner.trainStep(
                c,
                SessionSettings.defaults(),
                TrainStep.XlaScope.GRADIENTS,
                ComputeDtype.FLOAT32)) {
          List<Interleaved.Timed> tasks =
              List.of(() -> graph.run(x, y), () -> xla.run(x, y), () -> grads.run(x, y));
          ms = Interleaved.measure(tasks, o.warmup(), reps);
          xlaGradients = Optional.of(Summary.of(ms[2]));
        }
      } else {
        List<Interleaved.Timed> tasks = List.of(() -> graph.run(x, y), () -> xla.run(x, y));
        ms = Interleaved.measure(tasks, o.warmup(), reps);
      }
    }
    Map<String, Summary> py = Map.of();
    String note = noPython.orElse("");
    if (noPython.isEmpty()) {
      try {
        py = PythonReference.runScript(PYTHON_SCRIPT, pythonArgs(c, kind, o, reps));
      } catch (IOException e) {
        note = "python run failed: " + e.getMessage();
      }
    }
    return new Row(c.name(), kind, Summary.of(ms[0]), Summary.of(ms[1]), py, note, xlaGradients);
  }

  private static List<String> pythonArgs(
      BenchConfig c, ModelRunner.Kind kind, Options o, int reps) {
    List<String> args =
        new ArrayList<>(PythonModelArgs.of(ModelRunner.experiment(c), o.batch(), kind));
    args.addAll(
        List.of("--warmup", Integer.toString(o.warmup()), "--reps", Integer.toString(reps)));
    return args;
  }

  private static String line(Row r) {
    return String.format(
        Locale.ROOT,
        "graph %.1f ms, xla %.1f ms%s, python graph %s, python xla %s, ours/python-xla %.2fx,"
            + " ours graph/python faster %.2fx, ours best/python faster %.2fx",
        r.graph().median(),
        r.xla().median(),
        r.xlaGradients()
            .map(s -> String.format(Locale.ROOT, " (update outside XLA %.1f ms)", s.median()))
            .orElse(""),
        pyMs(r, "graph"),
        pyMs(r, "xla"),
        r.ratioVsPythonXla(),
        r.graphVsPythonFaster(),
        r.bestVsPythonFaster());
  }

  private static String pyMs(Row r, String mode) {
    Summary s = r.python().get(mode);
    return s == null ? "n/a" : String.format(Locale.ROOT, "%.1f ms", s.median());
  }

  /**
   * The rows as a Markdown table: median milliseconds per run and our best mode's throughput
   * relative to Python's XLA.
   *
   * @param rows the rows
   * @param batch the batch size
   * @return the table
   */
  public static String markdown(List<Row> rows, int batch) {
    StringBuilder sb = new StringBuilder();
    sb.append("| model | batch ")
        .append(batch)
        .append(" | ours graph ms | ours XLA ms ")
        .append("| Python graph ms | Python XLA ms | ours (best) / Python XLA ")
        .append("| ours XLA, update outside ms | ours graph / Python faster ")
        .append("| ours best / Python faster |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.1f | %.1f | %s | %s | %s | %s | %s | %s |%n",
              r.model(),
              r.kind() == ModelRunner.Kind.FORWARD ? "forward" : "train step",
              r.graph().median(),
              r.xla().median(),
              pyCell(r, "graph"),
              pyCell(r, "xla"),
              ratio(r.ratioVsPythonXla()),
              r.xlaGradients()
                  .map(s -> String.format(Locale.ROOT, "%.1f", s.median()))
                  .orElse("n/a"),
              ratio(r.graphVsPythonFaster()),
              ratio(r.bestVsPythonFaster())));
    }
    rows.stream()
        .filter(r -> !r.pythonNote().isEmpty())
        .findFirst()
        .ifPresent(r -> sb.append("\nPython: ").append(r.pythonNote()).append('\n'));
    return sb.toString();
  }

  private static String ratio(double r) {
    return Double.isNaN(r) ? "n/a" : String.format(Locale.ROOT, "%.2fx", r);
  }

  private static String pyCell(Row r, String mode) {
    Summary s = r.python().get(mode);
    return s == null ? "n/a" : String.format(Locale.ROOT, "%.1f", s.median());
  }

  /**
   * Parses the options (see the class comment), runs and prints the table on stdout.
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    Options d = Options.defaults();
    List<ViTSize> sizes = d.sizes();
    int batch = d.batch();
    int warmup = d.warmup();
    int reps = d.repetitions();
    Integer largeReps = null;
    List<ModelRunner.Kind> kinds = d.kinds();
    boolean python = true;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--no-python")) {
        python = false;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--sizes" -> {
          sizes = new ArrayList<>();
          for (String s : v.split(",")) {
            sizes.add(ViTSize.fromScenicName(s.trim()));
          }
        }
        case "--batch" -> batch = Integer.parseInt(v);
        case "--warmup" -> warmup = Integer.parseInt(v);
        case "--repetitions" -> reps = Integer.parseInt(v);
        case "--large-repetitions" -> largeReps = Integer.parseInt(v);
        case "--kinds" -> {
          kinds = new ArrayList<>();
          for (String k : v.split(",")) {
            kinds.add(
                k.trim().equals("forward")
                    ? ModelRunner.Kind.FORWARD
                    : ModelRunner.Kind.TRAIN_STEP);
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    Options o =
        largeReps == null
            ? new Options(sizes, batch, warmup, reps, kinds, python)
            : new Options(sizes, batch, warmup, reps, largeReps, kinds, python);
    System.err.println("XLA_FLAGS=" + Optional.ofNullable(System.getenv("XLA_FLAGS")).orElse(""));
    List<Row> rows = run(o, System.err);
    System.out.println(markdown(rows, o.batch()));
  }
}
