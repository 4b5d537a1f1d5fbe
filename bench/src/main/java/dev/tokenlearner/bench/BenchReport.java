package dev.tokenlearner.bench;

import dev.tokenlearner.bench.MarkdownTable.Align;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Everything one benchmark run measured, and its Markdown rendering.
 *
 * @param quick whether the run was the quick mode
 * @param environment machine and runtime, with the load average at the start
 * @param loadAverageAfter the load average at the end, if known
 * @param settings the session settings all model runs used
 * @param warmup discarded runs per model and batch
 * @param repetitions measured runs per model and batch
 * @param sweep the settings sweep, if run
 * @param peak the MatMul peak, if measured
 * @param measurements every model timing, in run order
 * @param importResult the checkpoint import measurement, if run
 * @param python the Python TF reference, if attempted
 * @param totalSeconds wall time of the whole run
 */
public record BenchReport(
    boolean quick,
    Environment environment,
    Optional<String> loadAverageAfter,
    SessionSettings settings,
    int warmup,
    int repetitions,
    Optional<SettingsSweep.Result> sweep,
    Optional<PeakMatMul.Result> peak,
    List<Measurement> measurements,
    Optional<ImportBench.Result> importResult,
    Optional<PythonReference.Result> python,
    Optional<GraphBuildBench.Result> graphBuild,
    double totalSeconds) {

  /** Python TF 2.21 + XLA, ViT-B/16 forward at batch 8 on a 2-core machine of this kind. */
  public static final double REFERENCE_XLA_GFLOPS = 430;

  /** Python TF plain graph mode is about 15% below its XLA figure. */
  public static final double REFERENCE_GRAPH_GFLOPS = REFERENCE_XLA_GFLOPS * 0.85;

  /** Name of the model the GFLOP/s reference is for. */
  public static final String REFERENCE_MODEL = "B/16";

  /** Batch of the GFLOP/s reference. */
  public static final int REFERENCE_BATCH = 8;

  /** Largest import/read time ratio the import target allows. */
  public static final double IMPORT_TARGET = 2.0;

  /** Copies the list. */
  public BenchReport {
    measurements = List.copyOf(measurements);
  }

  /**
   * Measurements of one kind at one batch size, in run order.
   *
   * @param kind forward or training step
   * @param batch the batch size
   * @return the matching measurements
   */
  public List<Measurement> select(ModelRunner.Kind kind, int batch) {
    return measurements.stream().filter(m -> m.kind() == kind && m.batch() == batch).toList();
  }

  /**
   * The one-row-per-config table of one kind and batch: {@code config}, {@code flop_ratio}, {@code
   * speedup} and the timings.
   *
   * @param kind forward or training step
   * @param batch the batch size
   * @return the Markdown table
   */
  public String table(ModelRunner.Kind kind, int batch) {
    boolean fwd = kind == ModelRunner.Kind.FORWARD;
    List<String> h =
        new ArrayList<>(
            List.of(
                "config",
                "GFLOPs/img",
                "flop_ratio",
                "speedup",
                "speedup/flop_ratio",
                "target",
                "best-run speedup",
                "p50 ms",
                "p95 ms",
                "range %",
                "img/s"));
    if (fwd) {
      h.add("GFLOP/s");
      h.add("% of peak");
    }
    List<Align> a = new ArrayList<>();
    for (int i = 0; i < h.size(); i++) {
      a.add(i == 0 || i == 5 ? Align.LEFT : Align.RIGHT);
    }
    MarkdownTable t = new MarkdownTable(h, a);
    for (Measurement m : select(kind, batch)) {
      List<String> row =
          new ArrayList<>(
              List.of(
                  m.config(),
                  fmt(m.flopsPerImage() / 1e9, 2),
                  fmt(m.flopRatio(), 3),
                  fmt(m.speedup(), 3),
                  m.isPlain() ? "" : fmt(m.speedupEfficiency(), 3),
                  m.isPlain() ? "" : (m.meetsTarget() ? "met" : "missed"),
                  fmt(m.bestSpeedup(), 3),
                  fmt(m.millis().median(), 1),
                  fmt(m.millis().p95(), 1),
                  fmt(100 * m.millis().relativeSpread(), 1),
                  fmt(m.imagesPerSecond(), 1)));
      if (fwd) {
        row.add(fmt(m.gflopsPerSecond(), 1));
        row.add(Double.isNaN(m.peakGflops()) ? "" : fmt(100 * m.fractionOfPeak(), 0));
      }
      t.row(row);
    }
    return t.render();
  }

  /**
   * Renders the whole report.
   *
   * @return Markdown: setup, one table per kind and batch, GFLOP/s against peak and reference, the
   *     settings sweep, checkpoint import and memory
   */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("# TokenLearner benchmark (").append(quick ? "quick" : "full").append(")\n\n");
    Environment e = environment;
    sb.append(
        String.format(
            Locale.ROOT,
            "- machine: %d CPUs (%s), Java %s, TensorFlow %s, max heap %.1f GB%n",
            e.cpus(),
            e.cpuModel(),
            e.javaVersion(),
            e.tensorflowVersion(),
            e.maxHeapBytes() / 1e9));
    sb.append("- load average (1/5/15 min) at start: ")
        .append(e.loadAverage().orElse("n/a"))
        .append(", at end: ")
        .append(loadAverageAfter.orElse("n/a"))
        .append('\n');
    sb.append("- session settings: ").append(settings.label()).append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            "- %d warm-up runs discarded, then %d measured runs per model and batch, interleaved"
                + " across the models of one ViT size (round r starts at model r); medians"
                + " reported, `range %%` = (max - min) / median%n",
            warmup,
            repetitions));
    sb.append(
        "- `flop_ratio` = plain-ViT FLOPs / config FLOPs (analytic, FlopCounter); `speedup` ="
            + " plain median time / config median time, same run; target: speedup >= "
            + Measurement.SPEEDUP_TARGET
            + " x flop_ratio; `best-run speedup` = plain fastest run"
            + " / config fastest run (less sensitive to other load on the machine)\n");
    sb.append(String.format(Locale.ROOT, "- total wall time: %.0f s%n%n", totalSeconds));

    for (ModelRunner.Kind kind : ModelRunner.Kind.values()) {
      TreeSet<Integer> batches = new TreeSet<>();
      measurements.stream().filter(m -> m.kind() == kind).forEach(m -> batches.add(m.batch()));
      for (int b : batches) {
        sb.append("## ")
            .append(
                kind == ModelRunner.Kind.FORWARD
                    ? "Inference"
                    : "Training step (the trainer's step: forward, backward, clipping, AdamW)")
            .append(", batch ")
            .append(b)
            .append("\n\n")
            .append(table(kind, b))
            .append('\n');
        List<Measurement> tl = select(kind, b).stream().filter(m -> !m.isPlain()).toList();
        if (!tl.isEmpty()) {
          long met = tl.stream().filter(Measurement::meetsTarget).count();
          sb.append(
              String.format(
                  Locale.ROOT,
                  "Speedup target met by %d of %d TokenLearner configs.%n%n",
                  met,
                  tl.size()));
        }
      }
    }
    flopsSection(sb);
    graphBuild.ifPresent(g -> graphBuildSection(sb, g));
    sweep.ifPresent(s -> sweepSection(sb, s));
    importResult.ifPresent(r -> importSection(sb, r));
    return sb.toString();
  }

  private static void graphBuildSection(StringBuilder sb, GraphBuildBench.Result r) {
    sb.append("## Graph build\n\n");
    sb.append("| model | graph | ops | build s | s per 1000 ops |\n|---|---|---:|---:|---:|\n");
    for (GraphBuildBench.Row row : r.rows()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d | %.2f | %.3f |%n",
              row.model(),
              row.graph(),
              row.ops(),
              row.seconds(),
              row.secondsPerThousandOps()));
    }
    sb.append('\n');
  }

  private void flopsSection(StringBuilder sb) {
    sb.append("## Achieved GFLOP/s\n\n");
    peak.ifPresent(
        p ->
            sb.append(
                String.format(
                    Locale.ROOT,
                    "- measured peak: %dx%d float32 MatMul, fastest of %d runs (on its own and in every"
                        + " inference round) %.1f ms (median %.1f ms) = **%.1f GFLOP/s**; `%% of peak`"
                        + " in the tables uses the peak of the same rounds%n",
                    p.n(),
                    p.n(),
                    p.timing().n(),
                    p.timing().min(),
                    p.timing().median(),
                    p.gflops())));
    measurements.stream()
        .filter(m -> m.kind() == ModelRunner.Kind.FORWARD && m.isPlain())
        .forEach(
            m ->
                sb.append(
                    String.format(
                        Locale.ROOT,
                        "- %s forward, batch %d: %.1f GFLOP/s%s%n",
                        m.config(),
                        m.batch(),
                        m.gflopsPerSecond(),
                        Double.isNaN(m.peakGflops())
                            ? ""
                            : String.format(
                                Locale.ROOT,
                                " (%.0f%% of the %.1f GFLOP/s peak of its rounds)",
                                100 * m.fractionOfPeak(),
                                m.peakGflops()))));
    Optional<Measurement> ref =
        measurements.stream()
            .filter(
                m ->
                    m.kind() == ModelRunner.Kind.FORWARD
                        && m.config().equals(REFERENCE_MODEL)
                        && m.batch() == REFERENCE_BATCH)
            .findFirst();
    if (ref.isPresent()) {
      double g = ref.get().gflopsPerSecond();
      sb.append(
          String.format(
              Locale.ROOT,
              "- reference (Python TF 2.21, same machine kind, B/16 batch 8): XLA ~%.0f GFLOP/s,"
                  + " plain graph ~%.0f GFLOP/s; ours %.1f GFLOP/s = %.2fx the XLA figure (%s)%n",
              REFERENCE_XLA_GFLOPS,
              REFERENCE_GRAPH_GFLOPS,
              g,
              g / REFERENCE_XLA_GFLOPS,
              g >= REFERENCE_XLA_GFLOPS ? "target met" : "target missed"));
    }
    python.ifPresent(
        p -> {
          if (!p.available()) {
            sb.append("- Python TF in this run: not measured (").append(p.reason()).append(")\n");
            return;
          }
          for (Map.Entry<String, Summary> e : p.millisByMode().entrySet()) {
            String line =
                String.format(
                    Locale.ROOT,
                    "- Python TF %s, B/16 batch %d: %.1f ms median",
                    e.getKey(),
                    p.batch(),
                    e.getValue().median());
            if (ref.isPresent() && ref.get().batch() == p.batch()) {
              double gf =
                  ref.get().flopsPerImage() * p.batch() / (e.getValue().median() / 1e3) / 1e9;
              line +=
                  String.format(
                      Locale.ROOT,
                      " = %.1f GFLOP/s; Java/Python time ratio %.2f",
                      gf,
                      ref.get().millis().median() / e.getValue().median());
            }
            sb.append(line).append('\n');
          }
        });
    sb.append('\n');
  }

  private static void sweepSection(StringBuilder sb, SettingsSweep.Result s) {
    sb.append("## Session settings sweep (")
        .append(s.model())
        .append(" forward, batch ")
        .append(s.batch())
        .append(")\n\n");
    MarkdownTable t =
        new MarkdownTable(
            List.of("setting", "process", "p50 ms", "range %", "vs TF default"),
            List.of(Align.LEFT, Align.LEFT, Align.RIGHT, Align.RIGHT, Align.RIGHT));
    double baseIn =
        s.entries().stream()
            .filter(e -> !e.childProcess())
            .findFirst()
            .map(e -> e.millis().median())
            .orElse(Double.NaN);
    double baseChild =
        s.entries().stream()
            .filter(SettingsSweep.Entry::childProcess)
            .findFirst()
            .map(e -> e.millis().median())
            .orElse(Double.NaN);
    for (SettingsSweep.Entry e : s.entries()) {
      double base = e.childProcess() ? baseChild : baseIn;
      t.row(
          List.of(
              e.label(),
              e.childProcess() ? "fresh JVM" : "this JVM",
              fmt(e.millis().median(), 1),
              fmt(100 * e.millis().relativeSpread(), 1),
              fmt(base / e.millis().median(), 3) + "x"));
    }
    sb.append(t.render()).append('\n');
    sb.append("Fastest in-process setting: `").append(s.bestInProcess().label()).append("`. ");
    sb.append("`vs TF default` is the speed relative to the first row of the same process kind.\n");
    for (String f : s.failures()) {
      sb.append("- not measured: ").append(f).append('\n');
    }
    sb.append('\n');
  }

  private static void importSection(StringBuilder sb, ImportBench.Result r) {
    sb.append("## Checkpoint import (")
        .append(r.model())
        .append(String.format(Locale.ROOT, ", Scenic msgpack, %.1f MB)%n%n", r.fileBytes() / 1e6));
    MarkdownTable t =
        new MarkdownTable(
            List.of("step", "p50 ms", "range %", "MB/s", "x read time"),
            List.of(Align.LEFT, Align.RIGHT, Align.RIGHT, Align.RIGHT, Align.RIGHT));
    double read = r.readBytesMillis().median();
    for (var e :
        List.of(
            Map.entry("read the file's bytes (Files.readAllBytes)", r.readBytesMillis()),
            Map.entry("parse (Checkpoints.read)", r.parseMillis()),
            Map.entry("import: parse + assign (WeightImporter.load)", r.importMillis()))) {
      Summary s = e.getValue();
      t.row(
          List.of(
              e.getKey(),
              fmt(s.median(), 1),
              fmt(100 * s.relativeSpread(), 1),
              fmt(r.fileBytes() / 1e6 / (s.median() / 1e3), 0),
              fmt(s.median() / read, 2)));
    }
    t.row(
        List.of(
            "first import into a freshly built graph (adds the loader ops; 1 run)",
            fmt(r.firstImportMillis(), 1),
            "",
            fmt(r.fileBytes() / 1e6 / (r.firstImportMillis() / 1e3), 0),
            fmt(r.firstImportMillis() / read, 2)));
    sb.append(t.render()).append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            "Import / read = %.2f (target <= %.1f: %s); first import into a fresh graph / read ="
                + " %.2f.%n%n",
            r.importOverRead(),
            IMPORT_TARGET,
            r.importOverRead() <= IMPORT_TARGET ? "met" : "missed",
            r.firstImportMillis() / read));
    sb.append("## Memory\n\n");
    MarkdownTable m =
        new MarkdownTable(
            List.of("phase", "peak heap MB", "resident at start MB", "peak resident MB"),
            List.of(Align.LEFT, Align.RIGHT, Align.RIGHT, Align.RIGHT));
    m.row(
        List.of(
            "checkpoint import into a fresh graph (parse + assign)",
            mb(r.importPeaks().peakHeapBytes()),
            startRss(r.importPeaks()),
            rss(r.importPeaks())));
    m.row(
        List.of(
            "inference, batch " + r.inferenceBatch() + " (after import)",
            mb(r.inferencePeaks().peakHeapBytes()),
            startRss(r.inferencePeaks()),
            rss(r.inferencePeaks())));
    sb.append(m.render()).append('\n');
    sb.append(
        "Heap: sum of the heap pools' peaks since the phase began (GC'd first). Resident: the"
            + " process's VmHWM, reset at the phase start; it includes TF's native weights and"
            + " buffers and everything already resident at the start (the JVM, the TF library, the"
            + " graph the weights go into). The import runs before any other model is built.\n\n");
  }

  private static String startRss(MemoryProbe.Peaks p) {
    return p.startResidentBytes().isPresent() ? mb(p.startResidentBytes().getAsLong()) : "n/a";
  }

  private static String rss(MemoryProbe.Peaks p) {
    OptionalLong r = p.peakResidentBytes();
    if (r.isEmpty()) {
      return "n/a";
    }
    return mb(r.getAsLong()) + (p.residentPeakIsPhaseLocal() ? "" : " (process peak)");
  }

  private static String mb(long bytes) {
    return fmt(bytes / 1e6, 0);
  }

  static String fmt(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
