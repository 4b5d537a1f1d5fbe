package dev.tokenlearner.bench;

import dev.tokenlearner.ops.ComputeDtype;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The GPU benchmark of {@code tokenlearner doctor --gpu}: each model's forward pass and training
 * step with XLA off and on, the models of one (kind, XLA) group interleaved, and each TokenLearner
 * model's speedup over the plain ViT next to its FLOP ratio. Runs wherever the session places ops
 * (the GPU when the GPU natives find one).
 */
public final class GpuCheck {

  /**
   * One measured row.
   *
   * @param config the model
   * @param kind forward or training step
   * @param xla whether XLA compiled it
   * @param dtype the compute dtype ({@code model_dtype_str})
   * @param millis per-run times
   * @param batch the batch size
   */
  public record Row(
      BenchConfig config,
      ModelRunner.Kind kind,
      boolean xla,
      ComputeDtype dtype,
      Summary millis,
      int batch) {

    /** Images per second at the median. */
    public double imagesPerSecond() {
      return batch * 1000.0 / millis.median();
    }
  }

  private GpuCheck() {}

  /**
   * Measures every model for both kinds, XLA off and on, in float32 and bfloat16.
   *
   * @param models the models; the first plain one is the speedup baseline
   * @param batch batch size
   * @param warmup discarded runs (the first compiles)
   * @param repetitions measured runs
   * @param log progress lines
   * @return the rows, grouped by kind and XLA
   */
  public static List<Row> measure(
      List<BenchConfig> models, int batch, int warmup, int repetitions, PrintWriter log) {
    List<Row> rows = new ArrayList<>();
    for (ModelRunner.Kind kind : ModelRunner.Kind.values()) {
      for (ComputeDtype dtype : List.of(ComputeDtype.FLOAT32, ComputeDtype.BFLOAT16)) {
        for (boolean xla : new boolean[] {false, true}) {
          rows.addAll(measure(models, kind, dtype, xla, batch, warmup, repetitions, log));
        }
      }
    }
    return rows;
  }

  private static List<Row> measure(
      List<BenchConfig> models,
      ModelRunner.Kind kind,
      ComputeDtype dtype,
      boolean xla,
      int batch,
      int warmup,
      int repetitions,
      PrintWriter log) {
    List<Row> rows = new ArrayList<>();
    log.printf(
        Locale.ROOT,
        "measuring %s, %s, XLA %s, batch %d%n",
        kind,
        dtype.configName(),
        xla ? "on" : "off",
        batch);
    log.flush();
    List<ModelRunner> runners = new ArrayList<>();
    try (TFloat32 x = Inputs.images(models.get(0).input(), batch, 3L);
        TInt32 y = Inputs.labels(models.get(0).input().numClasses(), batch)) {
      List<Interleaved.Timed> tasks = new ArrayList<>();
      for (BenchConfig c : models) {
        ModelRunner r = ModelRunner.open(c, kind, SessionSettings.defaults(), 1L, xla, dtype);
        runners.add(r);
        tasks.add(() -> r.run(x, y));
      }
      double[][] ms = Interleaved.measure(tasks, warmup, repetitions);
      for (int i = 0; i < models.size(); i++) {
        rows.add(new Row(models.get(i), kind, xla, dtype, Summary.of(ms[i]), batch));
      }
    } finally {
      runners.forEach(ModelRunner::close);
    }
    return rows;
  }

  /**
   * The rows as a Markdown table with each model's speedup over the plain ViT of its group.
   *
   * @param rows measured rows
   * @param flopRatio plain FLOPs over the model's
   * @return the table
   */
  public static String markdown(List<Row> rows, ToDoubleFunction<BenchConfig> flopRatio) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| model | kind | dtype | XLA | median ms | images/s | speedup vs plain | FLOP ratio |"
            + " speedup / FLOP ratio |\n");
    sb.append("|---|---|---|---|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      Row plain =
          rows.stream()
              .filter(
                  p ->
                      p.kind() == r.kind()
                          && p.xla() == r.xla()
                          && p.dtype() == r.dtype()
                          && p.config().isPlain())
              .findFirst()
              .orElse(r);
      double speedup = plain.millis().median() / r.millis().median();
      double flops = flopRatio.applyAsDouble(r.config());
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %.1f | %.1f | %.2fx | %.2fx | %.2f |%n",
              r.config().name(),
              r.kind() == ModelRunner.Kind.FORWARD ? "forward" : "train step",
              r.dtype().configName(),
              r.xla() ? "on" : "off",
              r.millis().median(),
              r.imagesPerSecond(),
              speedup,
              flops,
              speedup / flops));
    }
    return sb.toString();
  }
}
