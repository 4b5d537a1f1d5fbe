package dev.tokenlearner.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.tensorflow.types.TFloat32;

/**
 * Tries session settings on one model and reports which runs it fastest.
 *
 * <p>Per-session settings (thread pools, {@code global_jit_level}) are measured in this process,
 * interleaved. Process-wide switches that TF reads once at load time (oneDNN via {@code
 * TF_ENABLE_ONEDNN_OPTS}, XLA's CPU auto-clustering via {@code TF_XLA_FLAGS}) need a fresh JVM
 * each: those variants, and a fresh-JVM baseline to compare them with, run as child processes in
 * alternating rounds.
 */
public final class SettingsSweep {

  /** Line prefix a child process prints its timings after. */
  static final String RESULT_PREFIX = "SWEEP_MS";

  /** Rounds of child processes per variant. */
  static final int CHILD_ROUNDS = 2;

  private static final long CHILD_TIMEOUT_MINUTES = 10;

  private SettingsSweep() {}

  /**
   * One tried setting.
   *
   * @param label what was set
   * @param millis per-run times in milliseconds
   * @param childProcess whether it ran in a fresh JVM (compare only with other child entries)
   */
  public record Entry(String label, Summary millis, boolean childProcess) {}

  /**
   * The sweep's outcome.
   *
   * @param model the config measured
   * @param batch its batch size
   * @param entries every setting tried
   * @param failures variants that could not be measured, with the reason
   */
  public record Result(String model, int batch, List<Entry> entries, List<String> failures) {

    /** Copies the lists. */
    public Result {
      entries = List.copyOf(entries);
      failures = List.copyOf(failures);
    }

    /**
     * The fastest in-process entry (by median).
     *
     * @return the entry with the smallest median among in-process ones
     * @throws IllegalStateException if there is none
     */
    public Entry bestInProcess() {
      return entries.stream()
          .filter(e -> !e.childProcess())
          .min(Comparator.comparingDouble(e -> e.millis().median()))
          .orElseThrow(() -> new IllegalStateException("no in-process sweep entries"));
    }
  }

  /** A process-wide variant run in a child JVM: a label and the environment it adds. */
  record ProcessVariant(String label, Map<String, String> env) {}

  /**
   * The session settings the sweep tries: TF's choice, explicit pool sizes for a 2-core machine,
   * and XLA auto-clustering levels.
   *
   * @return the candidates, TF's default first
   */
  public static List<SessionSettings> candidates() {
    return List.of(
        new SessionSettings(0, 0, SessionSettings.Jit.DEFAULT),
        new SessionSettings(2, 1, SessionSettings.Jit.DEFAULT),
        new SessionSettings(2, 2, SessionSettings.Jit.DEFAULT),
        new SessionSettings(1, 2, SessionSettings.Jit.DEFAULT),
        new SessionSettings(1, 1, SessionSettings.Jit.DEFAULT),
        new SessionSettings(0, 0, SessionSettings.Jit.ON_1),
        new SessionSettings(0, 0, SessionSettings.Jit.ON_2));
  }

  /** The process-wide variants: a fresh baseline, oneDNN off, XLA CPU auto-jit. */
  static List<ProcessVariant> processVariants() {
    return List.of(
        new ProcessVariant("fresh JVM, TF defaults", Map.of()),
        new ProcessVariant("TF_ENABLE_ONEDNN_OPTS=0", Map.of("TF_ENABLE_ONEDNN_OPTS", "0")),
        new ProcessVariant(
            "TF_XLA_FLAGS=--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit",
            Map.of("TF_XLA_FLAGS", "--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit")));
  }

  /**
   * Runs the sweep.
   *
   * @param model the config to run (a standard config when {@code processes} is set, since child
   *     processes find it by name)
   * @param batch batch size
   * @param processes whether to run the child-process variants too
   * @param warmup discarded runs
   * @param repetitions measured runs per setting (per round for child processes)
   * @param seed weight and input seed
   * @param progress progress lines
   * @return every entry tried
   */
  public static Result run(
      BenchConfig model,
      int batch,
      boolean processes,
      int warmup,
      int repetitions,
      long seed,
      Consumer<String> progress) {
    List<SessionSettings> settings = candidates();
    List<Entry> entries = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    progress.accept(
        "sweep: "
            + settings.size()
            + " session settings on "
            + model.name()
            + " at batch "
            + batch);
    List<ModelRunner> runners = new ArrayList<>();
    try (TFloat32 images = Inputs.images(model.input(), batch, seed)) {
      for (SessionSettings s : settings) {
        runners.add(ModelRunner.open(model, ModelRunner.Kind.FORWARD, s, seed));
      }
      List<Interleaved.Timed> tasks = new ArrayList<>();
      for (ModelRunner r : runners) {
        tasks.add(() -> r.run(images, null));
      }
      double[][] ms = Interleaved.measure(tasks, warmup, repetitions);
      for (int i = 0; i < settings.size(); i++) {
        entries.add(new Entry(settings.get(i).label(), Summary.of(ms[i]), false));
      }
    } finally {
      runners.forEach(ModelRunner::close);
    }
    if (processes) {
      Map<String, List<Double>> samples = new LinkedHashMap<>();
      for (int round = 0; round < CHILD_ROUNDS; round++) {
        for (ProcessVariant v : processVariants()) {
          progress.accept("sweep: child process '" + v.label() + "', round " + (round + 1));
          try {
            double[] ms = runChild(v, model.name(), batch, warmup, repetitions, seed);
            List<Double> all = samples.computeIfAbsent(v.label(), k -> new ArrayList<>());
            for (double m : ms) {
              all.add(m);
            }
          } catch (IOException | RuntimeException e) {
            failures.add(v.label() + ": " + e.getMessage());
          }
        }
      }
      samples.forEach(
          (label, list) ->
              entries.add(
                  new Entry(
                      label,
                      Summary.of(list.stream().mapToDouble(Double::doubleValue).toArray()),
                      true)));
    }
    return new Result(model.name(), batch, entries, failures);
  }

  private static double[] runChild(
      ProcessVariant v, String configName, int batch, int warmup, int reps, long seed)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            SweepChild.class.getName(),
            configName,
            Integer.toString(batch),
            Integer.toString(warmup),
            Integer.toString(reps),
            Long.toString(seed));
    pb.environment().putAll(v.env());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    double[] result = null;
    StringBuilder tail = new StringBuilder();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith(RESULT_PREFIX + " ")) {
          result = parseResult(line);
        } else {
          tail.append(line).append('\n');
          if (tail.length() > 4000) {
            tail.delete(0, tail.length() - 2000);
          }
        }
      }
    }
    try {
      if (!p.waitFor(CHILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("child process timed out");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the child process", e);
    }
    if (p.exitValue() != 0 || result == null) {
      throw new IOException("child process exited with " + p.exitValue() + ":\n" + tail);
    }
    return result;
  }

  /**
   * Parses a child's result line.
   *
   * @param line {@code SWEEP_MS m1 m2 ...}
   * @return the milliseconds
   * @throws IllegalArgumentException if the line is not of that form
   */
  static double[] parseResult(String line) {
    String[] parts = line.trim().split("\\s+");
    if (parts.length < 2 || !parts[0].equals(RESULT_PREFIX)) {
      throw new IllegalArgumentException("not a sweep result line: '" + line + "'");
    }
    double[] ms = new double[parts.length - 1];
    for (int i = 1; i < parts.length; i++) {
      ms[i - 1] = Double.parseDouble(parts[i]);
    }
    return ms;
  }
}
