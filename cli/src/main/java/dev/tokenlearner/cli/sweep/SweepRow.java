package dev.tokenlearner.cli.sweep;

import java.util.List;
import java.util.Locale;

/**
 * One trained model of a sweep, one line of {@code sweep.csv}.
 *
 * @param name the model, e.g. {@code plain} or {@code tl8_loc3}
 * @param numTokens K, 0 for the plain model
 * @param tokenlearnerLoc the block the TokenLearner precedes, -1 for the plain model
 * @param gflops forward GFLOPs per example
 * @param accuracy held-out top-1 accuracy at the end of training
 * @param trainImagesPerSecond training throughput
 * @param inferenceImagesPerSecond throughput of the exported model
 */
public record SweepRow(
    String name,
    int numTokens,
    int tokenlearnerLoc,
    double gflops,
    double accuracy,
    double trainImagesPerSecond,
    double inferenceImagesPerSecond) {

  /** The CSV header. */
  public static final String HEADER =
      "name,num_tokens,tokenlearner_loc,gflops,accuracy,train_img_s,inference_img_s";

  /** This row as a CSV line (no quoting needed: names are {@code [a-z0-9_]}). */
  public String toCsv() {
    return String.format(
        Locale.ROOT,
        "%s,%d,%d,%.6f,%.4f,%.1f,%.1f",
        name,
        numTokens,
        tokenlearnerLoc,
        gflops,
        accuracy,
        trainImagesPerSecond,
        inferenceImagesPerSecond);
  }

  /**
   * Parses a line written by {@link #toCsv}.
   *
   * @param line the line
   * @return the row
   * @throws IllegalArgumentException if it has not 7 fields
   */
  public static SweepRow parse(String line) {
    List<String> f = List.of(line.trim().split(","));
    if (f.size() != 7) {
      throw new IllegalArgumentException("expected 7 fields, got '" + line + "'");
    }
    return new SweepRow(
        f.get(0),
        Integer.parseInt(f.get(1)),
        Integer.parseInt(f.get(2)),
        Double.parseDouble(f.get(3)),
        Double.parseDouble(f.get(4)),
        Double.parseDouble(f.get(5)),
        Double.parseDouble(f.get(6)));
  }
}
