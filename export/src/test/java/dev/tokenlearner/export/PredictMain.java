package dev.tokenlearner.export;

import java.nio.file.Path;

/**
 * Runs {@link Predict#run} in its own JVM for {@link PredictTest}: {@code PredictMain <model>
 * <input> <output> [signature]}. Exits 0 on success, 1 with the error on stderr otherwise.
 */
public final class PredictMain {

  private PredictMain() {}

  /**
   * Entry point.
   *
   * @param args model directory, input, output and optional signature
   */
  public static void main(String[] args) {
    try {
      Predict.run(
          Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), args.length > 3 ? args[3] : null);
      System.exit(0);
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
  }
}
