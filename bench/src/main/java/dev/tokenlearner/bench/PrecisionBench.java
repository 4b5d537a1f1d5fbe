package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.ops.ComputeDtype;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * float32 against a lower {@code model_dtype_str} on the same models in one run: per row the two
 * runners (same weights, same batch) are timed interleaved, so both see the same machine load and
 * the ratio is meaningful on a shared machine even when absolute times are not.
 *
 * <p>On CPUs the low-precision speed depends on the instruction set: bfloat16 matmuls are fast only
 * with AVX512-BF16 or AMX and oneDNN kernels, and every cast between the float32 islands
 * (LayerNorm, softmax) and bfloat16 costs a pass over the activations.
 */
public final class PrecisionBench {

  /**
   * What to measure.
   *
   * @param sizes ViT sizes (each plain and with TokenLearner 8 tokens at half depth)
   * @param dtype the low precision compared with float32
   * @param xla whether both runners are XLA-compiled
   * @param batch batch size
   * @param warmup discarded runs per runner
   * @param repetitions measured runs per runner
   * @param kinds forward and/or training step
   */
  public record Options(
      List<ViTSize> sizes,
      ComputeDtype dtype,
      boolean xla,
      int batch,
      int warmup,
      int repetitions,
      List<ModelRunner.Kind> kinds) {

    /** Validates the counts. */
    public Options {
      sizes = List.copyOf(sizes);
      kinds = List.copyOf(kinds);
      if (sizes.isEmpty() || kinds.isEmpty() || batch < 1 || warmup < 1 || repetitions < 1) {
        throw new IllegalArgumentException(
            "need sizes, kinds, batch >= 1, warmup >= 1 and repetitions >= 1");
      }
      if (dtype == ComputeDtype.FLOAT32) {
        throw new IllegalArgumentException("compare float32 with bfloat16 or float16");
      }
    }

    /** Ti/16 at batch 8, bfloat16 without XLA, both kinds, 2 warm-up and 5 measured runs. */
    public static Options defaults() {
      return new Options(
          List.of(ViTSize.TI),
          ComputeDtype.BFLOAT16,
          false,
          8,
          2,
          5,
          List.of(ModelRunner.Kind.FORWARD, ModelRunner.Kind.TRAIN_STEP));
    }
  }

  /**
   * One row.
   *
   * @param model the config name
   * @param kind forward or training step
   * @param float32 the float32 runner's times (ms)
   * @param low the low-precision runner's times (ms)
   */
  public record Row(String model, ModelRunner.Kind kind, Summary float32, Summary low) {

    /** float32 median over the low-precision median: above 1 means the low precision is faster. */
    public double speedup() {
      return float32.median() / low.median();
    }
  }

  private PrecisionBench() {}

  /**
   * Measures every row.
   *
   * @param o the options
   * @param log progress lines
   * @return the rows, in size, model, kind order
   */
  public static List<Row> run(Options o, PrintStream log) {
    List<Row> rows = new ArrayList<>();
    for (ViTSize size : o.sizes()) {
      for (BenchConfig c : ConfigMatrix.plainAndHalfwayTokenLearner(size)) {
        for (ModelRunner.Kind kind : o.kinds()) {
          log.printf(
              Locale.ROOT,
              "measuring %s %s at batch %d: float32 vs %s%n",
              c.name(),
              kind,
              o.batch(),
              o.dtype().configName());
          Row r = row(c, kind, o);
          rows.add(r);
          log.printf(
              Locale.ROOT,
              "  float32 %.1f ms, %s %.1f ms, speedup %.2fx%n",
              r.float32().median(),
              o.dtype().configName(),
              r.low().median(),
              r.speedup());
        }
      }
    }
    return rows;
  }

  private static Row row(BenchConfig c, ModelRunner.Kind kind, Options o) {
    SessionSettings s = SessionSettings.defaults();
    try (ModelRunner f32 = ModelRunner.open(c, kind, s, 1L, o.xla(), ComputeDtype.FLOAT32);
        ModelRunner low = ModelRunner.open(c, kind, s, 1L, o.xla(), o.dtype());
        TFloat32 x = Inputs.images(c.input(), o.batch(), 3L);
        TInt32 y = Inputs.labels(c.input().numClasses(), o.batch())) {
      List<Interleaved.Timed> tasks = List.of(() -> f32.run(x, y), () -> low.run(x, y));
      double[][] ms = Interleaved.measure(tasks, o.warmup(), o.repetitions());
      return new Row(c.name(), kind, Summary.of(ms[0]), Summary.of(ms[1]));
    }
  }

  /**
   * The rows as a Markdown table.
   *
   * @param rows measured rows
   * @param o the options they were measured with
   * @return the table
   */
  public static String markdown(List<Row> rows, Options o) {
    String low = o.dtype().configName();
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "| model | kind | float32 ms | %s ms | %s speedup |%n|---|---|---:|---:|---:|%n",
            low,
            low));
    for (Row r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.1f | %.1f | %.2fx |%n",
              r.model(),
              r.kind() == ModelRunner.Kind.FORWARD ? "forward" : "train step",
              r.float32().median(),
              r.low().median(),
              r.speedup()));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "%nbatch %d, XLA %s, median of %d runs after %d warm-up, interleaved%n",
            o.batch(),
            o.xla() ? "on" : "off",
            o.repetitions(),
            o.warmup()));
    return sb.toString();
  }
}
