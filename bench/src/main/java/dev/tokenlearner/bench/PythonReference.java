package dev.tokenlearner.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The same ViT-B/16 forward in Python TensorFlow (plain graph mode and XLA), measured in the same
 * benchmark run when Python ({@link #python()}) with {@code tensorflow} is installed.
 */
public final class PythonReference {

  /** Line prefix of the script's timings. */
  static final String RESULT_PREFIX = "PY_MS";

  /** System property naming the Python interpreter. */
  public static final String PYTHON_PROPERTY = "tokenlearner.python";

  /** Environment variable naming the Python interpreter. */
  public static final String PYTHON_ENV = "TOKENLEARNER_PYTHON";

  private static final String SCRIPT = "vit_reference.py";
  private static final long TIMEOUT_MINUTES = 30;

  private PythonReference() {}

  /**
   * The reference timings.
   *
   * @param available whether Python TF could be run
   * @param reason why not, when not available
   * @param millisByMode per-run times per mode ({@code graph}, {@code xla})
   * @param batch the batch size
   */
  public record Result(
      boolean available, String reason, Map<String, Summary> millisByMode, int batch) {

    /** Copies the map. */
    public Result {
      millisByMode = Map.copyOf(millisByMode);
    }

    /**
     * A result saying Python TF was not run.
     *
     * @param reason why
     * @return the result
     */
    public static Result unavailable(String reason) {
      return new Result(false, reason, Map.of(), 0);
    }
  }

  /**
   * Runs the script when Python TF is importable.
   *
   * @param batch batch size
   * @param warmup discarded runs per mode
   * @param repetitions measured runs per mode
   * @return the timings, or why there are none
   */
  public static Result measure(int batch, int warmup, int repetitions) {
    Optional<String> missing = probe();
    if (missing.isPresent()) {
      return Result.unavailable(missing.get());
    }
    Path script = null;
    try {
      script = Files.createTempFile("vit_reference", ".py");
      try (InputStream in = PythonReference.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          return Result.unavailable("script resource " + SCRIPT + " missing from the classpath");
        }
        Files.write(script, in.readAllBytes());
      }
      List<String> lines =
          run(
              List.of(
                  python(),
                  script.toString(),
                  Integer.toString(batch),
                  Integer.toString(warmup),
                  Integer.toString(repetitions)));
      Map<String, Summary> modes = parse(lines);
      if (modes.isEmpty()) {
        return Result.unavailable("script printed no timings: " + tail(lines));
      }
      return new Result(true, "", modes, batch);
    } catch (IOException | RuntimeException e) {
      return Result.unavailable("python run failed: " + e.getMessage());
    } finally {
      if (script != null) {
        try {
          Files.deleteIfExists(script);
        } catch (IOException e) {
          // A leftover temp file is harmless.
        }
      }
    }
  }

  /** Empty when {@code python3 -c "import tensorflow"} works, else the reason it does not. */
  static Optional<String> probe() {
    try {
      List<String> out =
          run(List.of(python(), "-c", "import tensorflow as tf; print('TF', tf.__version__)"));
      return out.stream().anyMatch(l -> l.startsWith("TF "))
          ? Optional.empty()
          : Optional.of("python3 cannot import tensorflow: " + tail(out));
    } catch (IOException e) {
      return Optional.of("python3 cannot import tensorflow: " + e.getMessage());
    }
  }

  /**
   * The Python interpreter: system property {@value #PYTHON_PROPERTY}, else environment variable
   * {@value #PYTHON_ENV}, else {@code python3} from the path.
   */
  static String python() {
    String p = System.getProperty(PYTHON_PROPERTY);
    if (p == null || p.isBlank()) {
      p = System.getenv(PYTHON_ENV);
    }
    return p == null || p.isBlank() ? "python3" : p;
  }

  /**
   * Writes a bundled script to a temp file, runs it with the arguments and parses its {@value
   * #RESULT_PREFIX} lines.
   *
   * @param script the resource name next to this class
   * @param args the script's arguments
   * @return per-run milliseconds by mode
   * @throws IOException if the script is missing, fails or prints no timings
   */
  static Map<String, Summary> runScript(String script, List<String> args) throws IOException {
    List<String> lines = runScriptLines(script, args);
    Map<String, Summary> modes = parse(lines);
    if (modes.isEmpty()) {
      throw new IOException(script + " printed no timings: " + tail(lines));
    }
    return modes;
  }

  /** The {@value #RESULT_PREFIX} lines of a script's output: per-run milliseconds by mode. */
  static Map<String, Summary> parse(List<String> lines) {
    Map<String, Summary> modes = new LinkedHashMap<>();
    for (String line : lines) {
      String[] p = line.trim().split("\\s+");
      if (p.length > 2 && p[0].equals(RESULT_PREFIX)) {
        double[] ms = new double[p.length - 2];
        for (int i = 2; i < p.length; i++) {
          ms[i - 2] = Double.parseDouble(p[i]);
        }
        modes.put(p[1], Summary.of(ms));
      }
    }
    return modes;
  }

  /**
   * Writes a bundled script to a temp file and runs it with the arguments.
   *
   * @param script the resource name next to this class
   * @param args the script's arguments
   * @return its output lines (stdout and stderr)
   * @throws IOException if the script is missing or fails
   */
  static List<String> runScriptLines(String script, List<String> args) throws IOException {
    Path file = Files.createTempFile("tokenlearner_reference", ".py");
    try {
      try (InputStream in = PythonReference.class.getResourceAsStream(script)) {
        if (in == null) {
          throw new IOException("script resource " + script + " missing from the classpath");
        }
        Files.write(file, in.readAllBytes());
      }
      List<String> command = new ArrayList<>(List.of(python(), file.toString()));
      command.addAll(args);
      return run(command);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  static List<String> run(List<String> command) throws IOException {
    return run(command, pb -> {});
  }

  /** As {@link #run(List)}, after {@code setup} adjusted the process (e.g. its environment). */
  static List<String> run(List<String> command, Consumer<ProcessBuilder> setup) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    // Python TF runs with its own XLA defaults; our XLA_FLAGS name TF 2.18's options.
    pb.environment().remove("XLA_FLAGS");
    setup.accept(pb);
    Process p = pb.start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
      }
    }
    try {
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + command);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + command, e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("exit " + p.exitValue() + ": " + tail(lines));
    }
    return lines;
  }

  /** The last few non-blank lines (a Python traceback ends with its error). */
  private static String tail(List<String> lines) {
    List<String> kept = lines.stream().filter(l -> !l.isBlank()).toList();
    return kept.isEmpty()
        ? "(no output)"
        : String.join(" | ", kept.subList(Math.max(0, kept.size() - 3), kept.size()));
  }
}
