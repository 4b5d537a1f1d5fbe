package dev.tokenlearner.bench;

import dev.tokenlearner.graph.flops.FlopReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The {@code bench} command: inference and training-step throughput of plain ViTs and their
 * TokenLearner variants measured in one run, next to the analytic FLOP ratios, plus the machine's
 * MatMul peak, a session-settings sweep and checkpoint import.
 *
 * <p>Method: every model is built into its own graph with random weights and a session opened
 * before any timing. Models that share a plain ViT are measured together: warm-up rounds are
 * discarded, then each measured round runs every model once, in an order rotated per round, so
 * drift hits all alike; only {@code Session.Runner.run()} is inside the clock, with one fixed
 * random input tensor per batch size created up front.
 *
 * <p>Output: {@code results.md} (the report), {@code results.csv} (one line per measurement) and
 * {@code speedup.png} (speedup against FLOP ratio) in {@link BenchOptions#outDir()}.
 */
public final class Benchmark {

  /** Report file name. */
  public static final String MARKDOWN_FILE = "results.md";

  /** Per-measurement CSV file name. */
  public static final String CSV_FILE = "results.csv";

  /** Chart file name. */
  public static final String CHART_FILE = "speedup.png";

  private static final int SWEEP_BATCH = 8;

  private Benchmark() {}

  /**
   * Runs the benchmark and writes its results.
   *
   * @param options what to measure and where to write
   * @return the report
   * @throws IOException if the results cannot be written
   */
  public static BenchReport run(BenchOptions options) throws IOException {
    long start = System.nanoTime();
    var say = options.progress();
    Environment env = Environment.current();
    Files.createDirectories(options.outDir());
    say.accept(
        String.format(
            Locale.ROOT,
            "bench: %d configs, batches %s, training batch %d, %s",
            options.configs().size(),
            options.batches(),
            options.trainBatch(),
            options.settings().label()));

    // Import first: its memory peaks then start from a process that has built no model yet.
    Optional<ImportBench.Result> imported = Optional.empty();
    if (options.importBench()) {
      BenchConfig largest = largestPlain(options.configs());
      int batch = options.batches().isEmpty() ? options.trainBatch() : options.batches().get(0);
      if (options.batches().contains(SWEEP_BATCH)) {
        batch = SWEEP_BATCH;
      }
      imported =
          Optional.of(
              ImportBench.run(
                  largest,
                  options.settings(),
                  options.warmup(),
                  options.repetitions(),
                  batch,
                  options.seed(),
                  say));
    }

    // Build times of B/16 and L/16 take a few seconds; the quick run leaves them out.
    Optional<GraphBuildBench.Result> graphBuild =
        options.quick() ? Optional.empty() : Optional.of(GraphBuildBench.run(say));

    Optional<SettingsSweep.Result> sweep = Optional.empty();
    if (options.sweep()) {
      BenchConfig model = smallestPlain(options.configs());
      int batch =
          options.batches().contains(SWEEP_BATCH) || options.batches().isEmpty()
              ? SWEEP_BATCH
              : options.batches().get(0);
      sweep =
          Optional.of(
              SettingsSweep.run(
                  model,
                  batch,
                  options.sweepProcesses(),
                  options.warmup(),
                  options.repetitions(),
                  options.seed(),
                  say));
      say.accept("sweep: fastest in-process setting " + sweep.get().bestInProcess().label());
    }

    Optional<PeakMatMul.Result> peak = Optional.empty();
    List<Measurement> measurements;
    if (options.peak()) {
      try (PeakMatMul.Probe probe =
          new PeakMatMul.Probe(options.peakMatrixSide(), options.settings())) {
        List<Double> samples = new ArrayList<>();
        Consumer<double[]> collect =
            ms -> {
              for (double v : ms) {
                samples.add(v);
              }
            };
        collect.accept(
            Interleaved.measure(List.of(probe), options.warmup(), options.repetitions())[0]);
        say.accept(
            String.format(
                Locale.ROOT,
                "peak: %.1f GFLOP/s on its own",
                PeakMatMul.Result.of(probe.n(), samples.stream().mapToDouble(d -> d).toArray())
                    .gflops()));
        measurements = measureModels(options, probe, collect);
        peak =
            Optional.of(
                PeakMatMul.Result.of(probe.n(), samples.stream().mapToDouble(d -> d).toArray()));
      }
    } else {
      measurements = measureModels(options, null, ms -> {});
    }

    Optional<PythonReference.Result> python = Optional.empty();
    if (options.pythonReference()) {
      say.accept("python: looking for Python TensorFlow");
      python =
          Optional.of(
              PythonReference.measure(
                  BenchReport.REFERENCE_BATCH, options.warmup(), options.repetitions()));
    }

    BenchReport report =
        new BenchReport(
            options.quick(),
            env,
            Environment.currentLoadAverage(),
            options.settings(),
            options.warmup(),
            options.repetitions(),
            sweep,
            peak,
            measurements,
            imported,
            python,
            graphBuild,
            (System.nanoTime() - start) / 1e9);
    write(report, options.outDir());
    say.accept("bench: results in " + options.outDir().toAbsolutePath());
    return report;
  }

  /**
   * Measures every family (a plain ViT and the configs compared with it) in turn; the peak probe,
   * when given, joins every forward round and its samples go to {@code peakSamples}.
   */
  private static List<Measurement> measureModels(
      BenchOptions o, PeakMatMul.Probe peak, Consumer<double[]> peakSamples) {
    Map<String, List<BenchConfig>> families = new LinkedHashMap<>();
    for (BenchConfig c : o.configs()) {
      families.computeIfAbsent(c.plainName(), k -> new ArrayList<>()).add(c);
    }
    Map<String, FlopReport> flops = new LinkedHashMap<>();
    for (BenchConfig c : o.configs()) {
      flops.put(c.name(), Flops.count(c));
    }
    List<Measurement> out = new ArrayList<>();
    for (List<BenchConfig> family : families.values()) {
      // Plain first, so its row leads each table.
      List<BenchConfig> ordered = new ArrayList<>(family);
      ordered.sort(Comparator.comparing(c -> !c.isPlain()));
      if (!o.batches().isEmpty()) {
        out.addAll(
            measureFamily(
                o, ordered, ModelRunner.Kind.FORWARD, o.batches(), flops, peak, peakSamples));
      }
      if (o.trainBatch() > 0) {
        out.addAll(
            measureFamily(
                o,
                ordered,
                ModelRunner.Kind.TRAIN_STEP,
                List.of(o.trainBatch()),
                flops,
                null,
                peakSamples));
      }
    }
    return out;
  }

  private static List<Measurement> measureFamily(
      BenchOptions o,
      List<BenchConfig> family,
      ModelRunner.Kind kind,
      List<Integer> batches,
      Map<String, FlopReport> flops,
      PeakMatMul.Probe peak,
      Consumer<double[]> peakSamples) {
    var say = o.progress();
    String plain = family.get(0).plainName();
    long t0 = System.nanoTime();
    List<ModelRunner> runners = new ArrayList<>();
    List<Measurement> out = new ArrayList<>();
    try {
      for (BenchConfig c : family) {
        runners.add(ModelRunner.open(c, kind, o.settings(), o.seed()));
      }
      say.accept(
          String.format(
              Locale.ROOT,
              "%s %s: %d graphs built and initialised in %.1f s",
              plain,
              kind == ModelRunner.Kind.FORWARD ? "inference" : "training",
              family.size(),
              (System.nanoTime() - t0) / 1e9));
      int classes = family.get(0).input().numClasses();
      for (int batch : batches) {
        long tb = System.nanoTime();
        double[][] ms;
        try (TFloat32 images = Inputs.images(family.get(0).input(), batch, o.seed());
            TInt32 labels =
                kind == ModelRunner.Kind.TRAIN_STEP ? Inputs.labels(classes, batch) : null) {
          List<Interleaved.Timed> tasks = new ArrayList<>();
          for (ModelRunner r : runners) {
            tasks.add(() -> r.run(images, labels));
          }
          // The peak MatMul joins the forward rounds: its peak then shares the models' conditions.
          if (peak != null) {
            tasks.add(peak);
          }
          ms = Interleaved.measure(tasks, o.warmup(), o.repetitions());
        }
        double peakGflops =
            peak == null ? Double.NaN : PeakMatMul.Result.of(peak.n(), ms[family.size()]).gflops();
        if (peak != null) {
          peakSamples.accept(ms[family.size()]);
        }
        Summary plainSummary = Summary.of(ms[0]);
        double plainMedian = plainSummary.median();
        for (int i = 0; i < family.size(); i++) {
          BenchConfig c = family.get(i);
          Summary s = Summary.of(ms[i]);
          FlopReport f = flops.get(c.name());
          out.add(
              new Measurement(
                  c.name(),
                  c.plainName(),
                  kind,
                  batch,
                  s,
                  f.flops(),
                  c.isPlain() ? 1.0 : f.flopRatio(),
                  plainMedian / s.median(),
                  plainSummary.min() / s.min(),
                  peakGflops));
        }
        say.accept(
            String.format(
                Locale.ROOT,
                "%s %s batch %d: plain %.1f ms median, %d models, %.0f s",
                plain,
                kind == ModelRunner.Kind.FORWARD ? "inference" : "training",
                batch,
                plainMedian,
                family.size(),
                (System.nanoTime() - tb) / 1e9));
      }
    } finally {
      runners.forEach(ModelRunner::close);
    }
    return out;
  }

  private static BenchConfig smallestPlain(List<BenchConfig> configs) {
    return configs.stream()
        .filter(BenchConfig::isPlain)
        .min(Comparator.comparingLong(c -> Flops.count(c).flops()))
        .orElseThrow();
  }

  private static BenchConfig largestPlain(List<BenchConfig> configs) {
    return configs.stream()
        .filter(BenchConfig::isPlain)
        .max(Comparator.comparingLong(c -> Flops.count(c).flops()))
        .orElseThrow();
  }

  /**
   * Writes the report's Markdown, CSV and chart into {@code dir}.
   *
   * @param report the report
   * @param dir the results folder (created if missing)
   * @throws IOException if a file cannot be written
   */
  public static void write(BenchReport report, Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(MARKDOWN_FILE), report.toMarkdown(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(CSV_FILE), csv(report), StandardCharsets.UTF_8);
    Chart.write(
        report.measurements(),
        "TokenLearner speedup vs FLOP ratio (" + (report.quick() ? "quick" : "full") + " run)",
        dir.resolve(CHART_FILE));
  }

  /**
   * One line per measurement.
   *
   * @param report the report
   * @return CSV text with a header line
   */
  static String csv(BenchReport report) {
    StringBuilder sb =
        new StringBuilder(
            "config,plain,kind,batch,flops_per_image,flop_ratio,speedup,best_speedup,p50_ms,p95_ms,min_ms,"
                + "max_ms,"
                + "runs,images_per_s,gflop_per_s\n");
    for (Measurement m : report.measurements()) {
      sb.append(
          String.join(
              ",",
              Arrays.asList(
                  m.config(),
                  m.plainName(),
                  m.kind().name().toLowerCase(Locale.ROOT),
                  Integer.toString(m.batch()),
                  String.format(Locale.ROOT, "%.0f", m.flopsPerImage()),
                  BenchReport.fmt(m.flopRatio(), 4),
                  BenchReport.fmt(m.speedup(), 4),
                  BenchReport.fmt(m.bestSpeedup(), 4),
                  BenchReport.fmt(m.millis().median(), 3),
                  BenchReport.fmt(m.millis().p95(), 3),
                  BenchReport.fmt(m.millis().min(), 3),
                  BenchReport.fmt(m.millis().max(), 3),
                  Integer.toString(m.millis().n()),
                  BenchReport.fmt(m.imagesPerSecond(), 2),
                  BenchReport.fmt(m.gflopsPerSecond(), 2))));
      sb.append('\n');
    }
    return sb.toString();
  }
}
