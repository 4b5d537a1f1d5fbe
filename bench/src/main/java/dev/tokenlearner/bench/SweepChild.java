package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.tensorflow.types.TFloat32;

/**
 * Entry point of the settings sweep's child processes: measures one standard config's forward pass
 * with TF's default session settings in a JVM whose environment carries a process-wide switch, and
 * prints {@code SWEEP_MS <ms> <ms> ...} on stdout.
 */
public final class SweepChild {

  private SweepChild() {}

  /**
   * Runs the measurement.
   *
   * @param args config name (e.g. {@code Ti/16}), batch, warmup runs, measured runs, seed
   */
  public static void main(String[] args) {
    if (args.length != 5) {
      System.err.println("usage: SweepChild <config> <batch> <warmup> <repetitions> <seed>");
      System.exit(2);
    }
    String name = args[0];
    int batch = Integer.parseInt(args[1]);
    int warmup = Integer.parseInt(args[2]);
    int reps = Integer.parseInt(args[3]);
    long seed = Long.parseLong(args[4]);
    List<BenchConfig> all =
        ConfigMatrix.standard(Arrays.asList(ViTSize.values()), BenchOptions.IMAGE_SIZE);
    BenchConfig config =
        all.stream()
            .filter(c -> c.name().equals(name))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no standard config '" + name + "'"));
    try (ModelRunner r =
            ModelRunner.open(
                config,
                ModelRunner.Kind.FORWARD,
                new SessionSettings(0, 0, SessionSettings.Jit.DEFAULT),
                seed);
        TFloat32 images = Inputs.images(config.input(), batch, seed)) {
      double[][] ms = Interleaved.measure(List.of(() -> r.run(images, null)), warmup, reps);
      System.out.println(
          SettingsSweep.RESULT_PREFIX
              + " "
              + Arrays.stream(ms[0])
                  .mapToObj(v -> String.format(Locale.ROOT, "%.3f", v))
                  .collect(Collectors.joining(" ")));
    }
  }
}
