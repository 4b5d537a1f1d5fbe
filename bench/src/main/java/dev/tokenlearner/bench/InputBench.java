package dev.tokenlearner.bench;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TrainOrder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * {@code tokenlearner bench --input}: images/s of the training input pipeline alone (read, decode,
 * inception crop, resize, flip, batch) at 1 and N worker threads, handing the trainer uint8 pixel
 * batches (what it feeds; the graph normalises) and, for comparison, float32 batches normalised on
 * the host, the same pipeline in Python {@code tf.data} on the same files in the same run when
 * {@code python3} has TensorFlow, and the fraction of training-step time the trainer spends waiting
 * for input with a near-free model.
 */
public final class InputBench {

  /** Line prefix of the Python script's results. */
  static final String RESULT_PREFIX = "PY_IPS";

  private static final String SCRIPT = "input_reference.py";

  private InputBench() {}

  /**
   * What was measured.
   *
   * @param data the image folder
   * @param size input side in pixels
   * @param batch batch size
   * @param steps timed batches per setting
   * @param javaImagesPerSecond images/s by worker threads, uint8 pixel batches
   * @param javaFloatImagesPerSecond images/s by worker threads, float32 batches
   * @param pythonImagesPerSecond tf.data images/s by map threads (empty when not run)
   * @param pythonNote why Python was not run, or empty
   * @param waitFraction share of the training loop's step time spent waiting for a batch
   * @param trainImagesPerSecond the training run's images/s
   */
  public record Result(
      Path data,
      int size,
      int batch,
      int steps,
      Map<Integer, Double> javaImagesPerSecond,
      Map<Integer, Double> javaFloatImagesPerSecond,
      Map<Integer, Double> pythonImagesPerSecond,
      String pythonNote,
      OptionalDouble waitFraction,
      OptionalDouble trainImagesPerSecond) {

    /** Copies the maps. */
    public Result {
      javaImagesPerSecond = Map.copyOf(javaImagesPerSecond);
      javaFloatImagesPerSecond = Map.copyOf(javaFloatImagesPerSecond);
      pythonImagesPerSecond = Map.copyOf(pythonImagesPerSecond);
    }

    /**
     * A Markdown table of the figures.
     *
     * @return the report
     */
    public String toMarkdown() {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "Input pipeline on %s: %dx%d, batch %d, %d timed batches per row%n%n",
              data,
              size,
              size,
              batch,
              steps));
      b.append("| pipeline | threads | images/s |\n|---|---:|---:|\n");
      rows(b, "Java (TF ops), uint8 batches", javaImagesPerSecond);
      rows(b, "Java (TF ops), float32 batches", javaFloatImagesPerSecond);
      rows(b, "Python tf.data", pythonImagesPerSecond);
      if (!pythonNote.isEmpty()) {
        b.append("\nPython tf.data not measured: ").append(pythonNote).append('\n');
      }
      if (waitFraction.isPresent()) {
        b.append(
            String.format(
                Locale.ROOT,
                "%nTraining (1-layer width-64 ViT, batch %d): %.0f images/s, %.1f %% of step time"
                    + " waiting for input%n",
                batch,
                trainImagesPerSecond.orElse(Double.NaN),
                100 * waitFraction.getAsDouble()));
      }
      return b.toString();
    }

    /** One table row per thread count, in thread order. */
    private static void rows(StringBuilder b, String pipeline, Map<Integer, Double> byThreads) {
      byThreads.entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(
              e ->
                  b.append(
                      String.format(
                          Locale.ROOT,
                          "| %s | %d | %.0f |%n",
                          pipeline,
                          e.getKey(),
                          e.getValue())));
    }
  }

  /**
   * Runs the measurements.
   *
   * @param data an image folder (one sub-folder per class)
   * @param size input side
   * @param batch batch size
   * @param warmup discarded batches per setting
   * @param steps timed batches per setting
   * @param threads thread counts to measure (e.g. 1 and the core count)
   * @param python whether to run the tf.data reference
   * @param train whether to measure the trainer's input wait
   * @return the figures
   * @throws IOException if the data cannot be read
   */
  public static Result run(
      Path data,
      int size,
      int batch,
      int warmup,
      int steps,
      List<Integer> threads,
      boolean python,
      boolean train)
      throws IOException {
    int classes;
    try (var s = Files.list(data)) {
      classes = (int) s.filter(Files::isDirectory).count();
    }
    ExperimentConfig cfg = config(size, Math.max(classes, 1), batch, 1);
    Map<Integer, Double> java = new LinkedHashMap<>();
    Map<Integer, Double> javaFloat = new LinkedHashMap<>();
    try (ImageDataset ds = Datasets.open(cfg, Optional.of(data))) {
      for (int t : threads) {
        // Two alternating rounds, best of each: on a shared machine load drifts between rows.
        for (boolean pixelsFirst : new boolean[] {true, false}) {
          for (boolean pixels : new boolean[] {pixelsFirst, !pixelsFirst}) {
            (pixels ? java : javaFloat)
                .merge(t, imagesPerSecond(ds, batch, warmup, steps, t, pixels), Math::max);
          }
        }
      }
    }
    Map<Integer, Double> py = new LinkedHashMap<>();
    String note = "";
    if (python) {
      Optional<String> missing = PythonReference.probe();
      if (missing.isPresent()) {
        note = missing.get();
      } else {
        note = python(data, size, batch, warmup, steps, threads, py);
      }
    } else {
      note = "skipped";
    }
    OptionalDouble wait = OptionalDouble.empty();
    OptionalDouble trainIps = OptionalDouble.empty();
    if (train) {
      Path work = Files.createTempDirectory("input-bench");
      try {
        TrainSummary s =
            Trainer.run(
                config(size, classes, batch, warmup + steps),
                work,
                false,
                Optional.of(data),
                TrainOptions.quiet());
        wait = OptionalDouble.of(s.inputWaitFraction());
        trainIps = OptionalDouble.of(s.imagesPerSecond());
      } finally {
        deleteTree(work);
      }
    }
    return new Result(data, size, batch, steps, java, javaFloat, py, note, wait, trainIps);
  }

  private static double imagesPerSecond(
      ImageDataset ds, int batch, int warmup, int steps, int threads, boolean pixels)
      throws IOException {
    TrainOrder order = new TrainOrder(0, batch, ds.numTrain());
    try (BatchProducer p =
        new BatchProducer(
            ds,
            order,
            batch,
            0,
            warmup + steps,
            Math.max(BatchProducer.QUEUE_CAPACITY_DEFAULT, 2 * threads),
            threads,
            pixels)) {
      for (int i = 0; i < warmup; i++) {
        p.next();
      }
      long t0 = System.nanoTime();
      long images = 0;
      for (int i = 0; i < steps; i++) {
        Batch b = p.next();
        images += b.size();
      }
      return images / ((System.nanoTime() - t0) / 1e9);
    }
  }

  private static String python(
      Path data,
      int size,
      int batch,
      int warmup,
      int steps,
      List<Integer> threads,
      Map<Integer, Double> out) {
    Path script = null;
    try {
      script = Files.createTempFile("input_reference", ".py");
      try (InputStream in = InputBench.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          return "script resource " + SCRIPT + " missing from the classpath";
        }
        Files.write(script, in.readAllBytes());
      }
      List<String> cmd = new ArrayList<>();
      cmd.addAll(
          List.of(
              PythonReference.python(),
              script.toString(),
              data.toString(),
              Integer.toString(size),
              Integer.toString(batch),
              Integer.toString(warmup),
              Integer.toString(steps)));
      threads.forEach(t -> cmd.add(Integer.toString(t)));
      for (String line : PythonReference.run(cmd)) {
        String[] p = line.trim().split("\\s+");
        if (p.length == 3 && p[0].equals(RESULT_PREFIX)) {
          out.put(Integer.parseInt(p[1]), Double.parseDouble(p[2]));
        }
      }
      return out.isEmpty() ? "script printed no results" : "";
    } catch (IOException | RuntimeException e) {
      return "python run failed: " + e.getMessage();
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

  /** A near-free 1-layer model, so the training loop's time is mostly input. */
  private static ExperimentConfig config(int size, int classes, int batch, int steps) {
    String yaml =
        String.format(
            Locale.ROOT,
            """
            dataset_name: image_folder
            dataset_configs: {image_size: [%d, %d], num_classes: %d}
            preprocessing: {normalization: imagenet}
            model_name: token_learner_classification
            model:
              hidden_size: 64
              num_heads: 2
              mlp_dim: 128
              num_layers: 1
              tokenizer: {type: patch, patches: {size: [16, 16]}}
              representation_size: null
              classifier: gap
              dropout_rate: 0.0
              attention_dropout_rate: 0.0
            optimizer: adam
            batch_size: %d
            eval_batch_size: %d
            num_training_steps: %d
            log_eval_steps: 1000000
            checkpoint_steps: 1000000
            lr_configs:
              learning_rate_schedule: compound
              factors: constant
              base_learning_rate: 1.0e-3
            """,
            size,
            size,
            classes,
            batch,
            batch,
            steps);
    return ConfigLoader.parse(yaml, "bench-input");
  }

  private static void deleteTree(Path root) throws IOException {
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
