package dev.tokenlearner.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain {@code main} for running the benchmark without the CLI:
 *
 * <pre>
 * java -cp ... dev.tokenlearner.bench.BenchMain [--quick] [--out DIR] [--configs P1,P2]
 *     [--batches 1,8,32] [--train-batch N] [--warmup N] [--repetitions N]
 *     [--skip sweep,processes,peak,import,python]
 * </pre>
 *
 * <p>It prints the report's Markdown on stdout; progress goes to stderr.
 */
public final class BenchMain {

  private BenchMain() {}

  /**
   * Parses the arguments into options.
   *
   * @param args command-line arguments
   * @return the options
   * @throws IllegalArgumentException on an unknown flag or a missing value
   */
  static BenchOptions parse(String[] args) {
    boolean quick = Arrays.asList(args).contains("--quick");
    Path out = Path.of("results");
    BenchOptions o = quick ? BenchOptions.quick(out) : BenchOptions.full(out);
    BenchOptions.Builder b = o.toBuilder();
    List<String> skip = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--quick")) {
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--out" -> b.outDir(Path.of(v));
        case "--configs" -> b.configFilter(Arrays.asList(v.split(",")));
        case "--batches" -> b.batches(ints(v));
        case "--train-batch" -> b.trainBatch(Integer.parseInt(v));
        case "--warmup" -> b.warmup(Integer.parseInt(v));
        case "--repetitions" -> b.repetitions(Integer.parseInt(v));
        case "--skip" -> skip.addAll(Arrays.asList(v.split(",")));
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    return b.sweep(o.sweep() && !skip.contains("sweep"))
        .sweepProcesses(o.sweepProcesses() && !skip.contains("processes"))
        .peak(o.peak() && !skip.contains("peak"))
        .importBench(o.importBench() && !skip.contains("import"))
        .pythonReference(o.pythonReference() && !skip.contains("python"))
        .build();
  }

  private static List<Integer> ints(String csv) {
    List<Integer> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      if (!s.isBlank()) {
        out.add(Integer.parseInt(s.trim()));
      }
    }
    return out;
  }

  /**
   * Runs the benchmark.
   *
   * @param args see the class comment
   * @throws IOException if the results cannot be written
   */
  public static void main(String[] args) throws IOException {
    BenchReport r = Benchmark.run(parse(args));
    System.out.println(r.toMarkdown());
  }
}
