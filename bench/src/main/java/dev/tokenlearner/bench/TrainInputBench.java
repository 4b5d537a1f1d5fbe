package dev.tokenlearner.bench;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import dev.tokenlearner.train.summary.MetricsLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code tokenlearner bench --train-input}: end-to-end training on an image folder with a near-free
 * model (1 block of width 32, patch 32, TokenLearner 4 tokens before block 0), so the time is the
 * input pipeline, the step's fixed costs and how the two share the cores. Each round runs our
 * trainer ({@link Trainer#run}: input workers, step, summaries) and then, when {@code python3} has
 * TensorFlow, the same training in Python: {@code tf.data} with the same augmentation feeding one
 * {@code tf.function} train step of the same model, loss, optimizer and schedule ({@code
 * vit_xla_reference.py --data}). Rounds alternate the two sides so that load from other jobs hits
 * both alike.
 *
 * <p>Our images/s leave out the warm-up steps exactly: the trainer logs its cumulative images/s at
 * every summary step ({@code metrics.csv}), so with summaries every {@code warmup} steps the time
 * of steps {@code warmup+1..end} is the difference of two cumulative step times.
 */
public final class TrainInputBench {

  /** Line prefix of the Python script's result. */
  static final String RESULT_PREFIX = "PY_IPS";

  private static final String SCRIPT = "vit_xla_reference.py";

  private TrainInputBench() {}

  /**
   * One run of our trainer.
   *
   * @param variant the system properties set for the run ({@code -} for none)
   * @param imagesPerSecond timed steps only
   * @param inputWaitFraction the loop's share of step time waiting for a batch
   */
  public record Ours(String variant, double imagesPerSecond, double inputWaitFraction) {}

  /**
   * One round: our runs (one per variant), the peer (NaN when not run) and the 1-minute load
   * average after the round.
   *
   * @param ours our runs, in the order they ran
   * @param pythonImagesPerSecond tf.data + tf.function, timed steps only (NaN when not run)
   * @param load the 1-minute load average after the round
   */
  public record Round(List<Ours> ours, double pythonImagesPerSecond, double load) {

    /** Copies the runs. */
    public Round {
      ours = List.copyOf(ours);
    }
  }

  /**
   * What was measured.
   *
   * @param data the image folder
   * @param batch batch size
   * @param warmup untimed steps per run
   * @param steps timed steps per run
   * @param rounds the rounds, in order
   * @param pythonNote why the peer was not run, or empty
   */
  public record Result(
      Path data, int batch, int warmup, int steps, List<Round> rounds, String pythonNote) {

    /** Copies the rounds. */
    public Result {
      rounds = List.copyOf(rounds);
    }

    /**
     * A Markdown table, one row per run of ours, each with its round's peer.
     *
     * @return the report
     */
    public String toMarkdown() {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "End-to-end training on %s: 224x224 inception crop + flip, batch %d, 1 block of"
                  + " width 32, patch 32, TokenLearner 4 tokens before block 0; %d warm-up and"
                  + " %d timed steps per run%n%n",
              data,
              batch,
              warmup,
              steps));
      b.append(
          "| round | variant | our train | input wait | tf.data + tf.function | ratio | load |\n");
      b.append("|---:|---|---:|---:|---:|---:|---:|\n");
      for (int i = 0; i < rounds.size(); i++) {
        Round r = rounds.get(i);
        double py = r.pythonImagesPerSecond();
        for (Ours o : r.ours()) {
          b.append(
              String.format(
                  Locale.ROOT,
                  "| %d | %s | %.0f img/s | %.1f %% | %s | %s | %.1f |%n",
                  i + 1,
                  o.variant(),
                  o.imagesPerSecond(),
                  100 * o.inputWaitFraction(),
                  Double.isNaN(py) ? "-" : String.format(Locale.ROOT, "%.0f img/s", py),
                  Double.isNaN(py)
                      ? "-"
                      : String.format(Locale.ROOT, "%.2fx", o.imagesPerSecond() / py),
                  r.load()));
        }
      }
      if (!pythonNote.isEmpty()) {
        b.append("\nPython peer not measured: ").append(pythonNote).append('\n');
      }
      return b.toString();
    }
  }

  /**
   * Runs the rounds.
   *
   * @param data an image folder (one sub-folder per class)
   * @param batch batch size
   * @param warmup untimed steps per run (also the summary cadence)
   * @param steps timed steps per run, a multiple of {@code warmup}
   * @param rounds how many alternating rounds
   * @param variants our runs per round, each {@code -} or {@code key=value[;key=value...]} system
   *     properties set for that run only (an A/B of a setting read when the trainer starts); the
   *     order rotates round by round
   * @param python whether to run the Python peer
   * @param log progress lines
   * @return the figures
   * @throws IOException if the data cannot be read
   * @throws IllegalArgumentException if {@code steps} is not a positive multiple of {@code warmup}
   *     or a variant is malformed
   */
  public static Result run(
      Path data,
      int batch,
      int warmup,
      int steps,
      int rounds,
      List<String> variants,
      boolean python,
      PrintStream log)
      throws IOException {
    if (warmup <= 0 || steps <= 0 || steps % warmup != 0) {
      throw new IllegalArgumentException(
          "steps must be a positive multiple of warmup, got " + steps + " and " + warmup);
    }
    variants.forEach(TrainInputBench::properties);
    int classes;
    try (var s = Files.list(data)) {
      classes = (int) s.filter(Files::isDirectory).count();
    }
    ExperimentConfig cfg = config(Math.max(classes, 1), batch, warmup, warmup + steps);
    String note = python ? PythonReference.probe().orElse("") : "skipped";
    List<Round> out = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      List<Ours> ours = new ArrayList<>();
      for (int v = 0; v < variants.size(); v++) {
        String variant = variants.get((i + v) % variants.size());
        Ours o = ours(cfg, data, warmup, batch, variant);
        log.printf(
            Locale.ROOT,
            "round %d, %s: ours %.0f img/s (input wait %.1f %%), load %.1f%n",
            i + 1,
            variant,
            o.imagesPerSecond(),
            100 * o.inputWaitFraction(),
            load());
        ours.add(o);
      }
      double py = Double.NaN;
      if (note.isEmpty()) {
        try {
          py = python(cfg, data, batch, warmup, steps);
          log.printf(
              Locale.ROOT,
              "round %d: tf.data + tf.function %.0f img/s, load %.1f%n",
              i + 1,
              py,
              load());
        } catch (IOException | RuntimeException e) {
          note = "python run failed: " + e.getMessage();
        }
      }
      out.add(new Round(ours, py, load()));
    }
    return new Result(data, batch, warmup, steps, out, note);
  }

  /** The system properties of a variant ({@code -}: none). */
  static List<String[]> properties(String variant) {
    List<String[]> out = new ArrayList<>();
    if (variant.equals("-")) {
      return out;
    }
    for (String kv : variant.split(";")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "variant '" + variant + "': expected key=value[;key=value...] or -");
      }
      out.add(new String[] {kv.substring(0, eq), kv.substring(eq + 1)});
    }
    return out;
  }

  /** One run of our trainer with the variant's properties set (and restored after). */
  private static Ours ours(ExperimentConfig cfg, Path data, int warmup, int batch, String variant)
      throws IOException {
    List<String[]> props = properties(variant);
    List<String> before = new ArrayList<>();
    for (String[] kv : props) {
      before.add(System.getProperty(kv[0]));
      System.setProperty(kv[0], kv[1]);
    }
    try {
      double[] r = ours(cfg, data, warmup, batch);
      return new Ours(variant, r[0], r[1]);
    } finally {
      for (int i = 0; i < props.size(); i++) {
        if (before.get(i) == null) {
          System.clearProperty(props.get(i)[0]);
        } else {
          System.setProperty(props.get(i)[0], before.get(i));
        }
      }
    }
  }

  /** Our trainer's images/s over the steps after the first summary, and its input-wait share. */
  private static double[] ours(ExperimentConfig cfg, Path data, int warmup, int batch)
      throws IOException {
    Path work = Files.createTempDirectory("train-input-bench");
    try {
      TrainSummary s = Trainer.run(cfg, work, false, Optional.of(data), TrainOptions.quiet());
      return new double[] {
        timedImagesPerSecond(MetricsLog.read(s.metricsCsv()), warmup, batch), s.inputWaitFraction()
      };
    } finally {
      deleteTree(work);
    }
  }

  /**
   * Images/s of the steps after the first summary: the trainer's {@code images_per_second} is
   * cumulative (examples over step time so far), so each summary gives the step time up to it.
   *
   * @param rows the run's metrics
   * @param warmup the first summary step
   * @param batch examples per step
   * @return images/s from step {@code warmup} to the last summary
   * @throws IllegalArgumentException if the metrics have fewer than two summaries
   */
  static double timedImagesPerSecond(List<MetricsLog.Row> rows, int warmup, int batch) {
    List<MetricsLog.Row> ips =
        rows.stream()
            .filter(r -> r.split().equals("train") && r.name().equals("images_per_second"))
            .filter(r -> r.step() >= warmup)
            .sorted(Comparator.comparingLong(MetricsLog.Row::step))
            .toList();
    if (ips.size() < 2) {
      throw new IllegalArgumentException(
          "metrics hold " + ips.size() + " images_per_second rows from step " + warmup);
    }
    MetricsLog.Row first = ips.get(0);
    MetricsLog.Row last = ips.get(ips.size() - 1);
    double t0 = first.step() * (double) batch / first.value();
    double t1 = last.step() * (double) batch / last.value();
    return (last.step() - first.step()) * (double) batch / (t1 - t0);
  }

  private static double python(ExperimentConfig cfg, Path data, int batch, int warmup, int steps)
      throws IOException {
    Path script = Files.createTempFile("vit_xla_reference", ".py");
    try {
      try (InputStream in = TrainInputBench.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          throw new IOException("script resource " + SCRIPT + " missing from the classpath");
        }
        Files.write(script, in.readAllBytes());
      }
      List<String> cmd = new ArrayList<>(List.of(PythonReference.python(), script.toString()));
      cmd.addAll(PythonModelArgs.of(cfg, batch, ModelRunner.Kind.TRAIN_STEP));
      cmd.addAll(
          List.of(
              "--data",
              data.toString(),
              "--warmup",
              Integer.toString(warmup),
              "--reps",
              Integer.toString(steps)));
      for (String line : PythonReference.run(cmd)) {
        String[] p = line.trim().split("\\s+");
        if (p.length == 3 && p[0].equals(RESULT_PREFIX)) {
          return Double.parseDouble(p[2]);
        }
      }
      throw new IOException("the script printed no " + RESULT_PREFIX + " line");
    } finally {
      Files.deleteIfExists(script);
    }
  }

  /**
   * The near-free model on a 224² image folder: summaries every {@code warmup} steps, no evaluation
   * or checkpoint inside the run.
   */
  static ExperimentConfig config(int classes, int batch, int summaryEvery, int steps) {
    String yaml =
        String.format(
            Locale.ROOT,
            """
            experiment_name: train-input-bench
            dataset_name: image_folder
            dataset_configs: {image_size: [224, 224], num_classes: %d}
            preprocessing: {normalization: imagenet}
            model_name: token_learner_classification
            model:
              hidden_size: 32
              num_heads: 2
              mlp_dim: 64
              num_layers: 1
              tokenizer:
                type: dynamic
                patches: {size: [32, 32]}
                num_tokens: 4
                tokenlearner_loc: 0
                use_tokenfuse: false
                use_v11: true
              representation_size: null
              classifier: gap
              dropout_rate: 0.0
              attention_dropout_rate: 0.0
            optimizer: adam
            optimizer_configs: {beta1: 0.9, beta2: 0.999}
            max_grad_norm: 1.0
            batch_size: %d
            eval_batch_size: %d
            num_training_steps: %d
            log_summary_steps: %d
            log_eval_steps: 1000000
            checkpoint_steps: 1000000
            rng_seed: 0
            lr_configs:
              learning_rate_schedule: compound
              factors: constant
              base_learning_rate: 1.0e-3
            """,
            classes,
            batch,
            batch,
            steps,
            summaryEvery);
    return ConfigLoader.parse(yaml, "bench-train-input");
  }

  private static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void deleteTree(Path root) throws IOException {
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
