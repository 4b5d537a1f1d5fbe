package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.FlaxMsgpackReader;
import dev.tokenlearner.checkpoint.FlaxMsgpackWriter;
import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.export.FileDigest;
import dev.tokenlearner.export.savedmodel.ExportResult;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.graph.config.ExperimentConfig;
import dev.tokenlearner.graph.config.RuntimeConfig;
import dev.tokenlearner.graph.config.TrainConfig;
import dev.tokenlearner.ops.HostArray;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.ImageFolderDataset;
import dev.tokenlearner.train.data.ShapesDataset;
import dev.tokenlearner.train.data.TrainOrder;
import dev.tokenlearner.train.summary.CurvePlot;
import dev.tokenlearner.train.summary.MetricsLog;
import dev.tokenlearner.train.summary.TensorBoardWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.ConfigProto;

/**
 * Trains a TokenLearner model from an experiment config, as Scenic's {@code classification_trainer}
 * does, in a TensorFlow Java graph.
 *
 * <p>Per step: the next batch (prepared ahead by a {@link BatchProducer}), the loss of the model in
 * training mode, symbolic gradients, global-norm clipping ({@code max_grad_norm}), the optimizer
 * update with the learning rate computed in the graph from the global step. Every {@code
 * log_summary_steps}: training loss, accuracy, learning rate and gradient norm to TensorBoard and
 * {@code metrics.csv}. Every {@code log_eval_steps} and at the end: held-out loss and top-1
 * accuracy. Every {@code checkpoint_steps} and at the end: an atomic Scenic-format checkpoint
 * {@code <workdir>/checkpoint_<step>} (the newest {@code max_checkpoint_keep} kept). At the end:
 * {@code curves.png} and the SavedModel {@code <workdir>/saved_model}.
 *
 * <p>Determinism: which examples a step sees, their augmentation and the dropout key {@code [seed,
 * step]} depend only on (seed, step), so a resumed run reaches the same weights as an uninterrupted
 * one (on the same device and thread setup).
 *
 * <p>A loss that becomes NaN or infinite stops the run with a {@link TrainingDivergedException};
 * the diverged state is not saved.
 */
public final class Trainer {

  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  /** Folder of the TensorBoard event files inside the workdir. */
  public static final String TENSORBOARD_DIR = "tensorboard";

  /** The metrics CSV inside the workdir. */
  public static final String METRICS_CSV = "metrics.csv";

  /** The learning-curve plot inside the workdir. */
  public static final String CURVES_PNG = "curves.png";

  /** The exported SavedModel inside the workdir. */
  public static final String SAVED_MODEL_DIR = "saved_model";

  /** Held-out examples written beside the SavedModel, to try {@code predict} on. */
  public static final String SAMPLE_NPY = "held_out_sample.npy";

  /** The labels of {@link #SAMPLE_NPY}, as float32 class indices. */
  public static final String SAMPLE_LABELS_NPY = "held_out_sample_labels.npy";

  private static final int SAMPLE_SIZE = 16;

  private Trainer() {}

  /**
   * Trains with the default options (progress bar, SavedModel export at the end).
   *
   * @param cfg the experiment
   * @param workdir where checkpoints, summaries and the model go (created if missing)
   * @param resume continue from the newest checkpoint in {@code workdir}
   * @param dataOverride a data path replacing the config's dataset (image folder or TFRecords)
   * @return what the run did and wrote
   * @throws IOException if data, checkpoints or summaries cannot be read or written
   * @throws IllegalArgumentException if the config cannot be trained (no {@code lr_configs}, no
   *     {@code batch_size}, {@code bfloat16}, video input, data that does not fit), or {@code
   *     workdir} already holds checkpoints and {@code resume} is false
   * @throws TrainingDivergedException if the loss becomes NaN or infinite
   */
  public static TrainSummary run(
      ExperimentConfig cfg, Path workdir, boolean resume, Optional<Path> dataOverride)
      throws IOException {
    return run(cfg, workdir, resume, dataOverride, TrainOptions.defaults());
  }

  /**
   * Trains.
   *
   * @param cfg the experiment
   * @param workdir where checkpoints, summaries and the model go (created if missing)
   * @param resume continue from the newest checkpoint in {@code workdir}
   * @param dataOverride a data path replacing the config's dataset (image folder or TFRecords)
   * @param options presentation and early stop
   * @return what the run did and wrote
   * @throws IOException if data, checkpoints or summaries cannot be read or written
   * @throws IllegalArgumentException if the config cannot be trained, or {@code workdir} already
   *     holds checkpoints and {@code resume} is false
   * @throws TrainingDivergedException if the loss becomes NaN or infinite
   */
  public static TrainSummary run(
      ExperimentConfig cfg,
      Path workdir,
      boolean resume,
      Optional<Path> dataOverride,
      TrainOptions options)
      throws IOException {
    try (ImageDataset dataset = Datasets.open(cfg, dataOverride, options.evalData())) {
      return run(cfg, workdir, resume, dataset, options);
    }
  }

  private static TrainSummary run(
      ExperimentConfig cfg,
      Path workdir,
      boolean resume,
      ImageDataset dataset,
      TrainOptions options)
      throws IOException {
    long started = System.nanoTime();
    checkTrainable(cfg);
    TrainConfig tc = cfg.train();
    Files.createDirectories(workdir);
    Optional<Path> latest = Checkpoints.latest(workdir);
    if (!resume && latest.isPresent()) {
      throw new IllegalArgumentException(
          workdir
              + " already holds "
              + latest.get().getFileName()
              + "; resume from it or train into an empty workdir");
    }
    int batchSize = tc.requireBatchSize();
    long stepsPerEpoch = tc.stepsPerEpoch(dataset.numTrain());
    long totalSteps = tc.resolvedTotalSteps(dataset.numTrain());
    if (totalSteps <= 0) {
      throw new IllegalArgumentException(
          "the config trains for 0 steps ("
              + dataset.numTrain()
              + " examples, batch_size "
              + batchSize
              + ")");
    }
    long evalEvery = tc.resolvedLogEvalSteps(stepsPerEpoch);
    long checkpointEvery = tc.resolvedCheckpointSteps(stepsPerEpoch);
    long summaryEvery = tc.resolvedLogSummarySteps(stepsPerEpoch);
    long stopAt = Math.min(totalSteps, options.stopAfterStep().orElse(totalSteps));
    long seed = tc.rngSeed();
    RuntimeConfig runtime = RuntimeConfig.of(cfg);
    Devices.Placement placement = Devices.select(runtime.device(), options.logDevicePlacement());
    String device = placement.device();
    ConfigProto session = placement.sessionConfig();
    boolean xla = runtime.jitOr(false);
    LOG.info(
        "training {} on {}: {} steps of {} examples; steps run on {} ({}), XLA {}",
        cfg.source(),
        dataset.describe(),
        totalSteps,
        batchSize,
        device,
        placement.reason(),
        xla ? "on" : "off");

    List<Path> written = new ArrayList<>();
    try (TrainGraph train = new TrainGraph(cfg, session, xla);
        EvalGraph eval = new EvalGraph(cfg, dataset, session)) {
      long start = 0;
      if (resume && latest.isPresent()) {
        FlaxTrainState state = FlaxMsgpackReader.readTrainState(latest.get());
        train.restore(state);
        start = state.step();
        LOG.info("resumed from {} at step {}", latest.get(), start);
        if (!Arrays.equals(state.rng(), TrainGraph.prngKey(seed))) {
          LOG.warn(
              "{} was written with another rng_seed; continuing with rng_seed {}",
              latest.get(),
              seed);
        }
      } else {
        if (resume) {
          LOG.info("no checkpoint in {}; starting from scratch", workdir);
        }
        train.initialize(seed, tc.initHeadBias());
        InitFrom.apply(cfg, train.store(), train.session());
      }
      Path tbDir = workdir.resolve(TENSORBOARD_DIR);
      Path csv = workdir.resolve(METRICS_CSV);
      Path png = workdir.resolve(CURVES_PNG);
      Window window = new Window();
      OptionalDouble evalLoss = OptionalDouble.empty();
      OptionalDouble evalAcc = OptionalDouble.empty();
      long stepNanos = 0;
      long stepExamples = 0;
      long step = start;
      try (MetricsLog metrics = new MetricsLog(csv, start);
          TensorBoardWriter tb = new TensorBoardWriter(tbDir);
          BatchProducer producer =
              new BatchProducer(
                  dataset,
                  new TrainOrder(seed, batchSize, dataset.numTrain()),
                  batchSize,
                  start,
                  stopAt,
                  BatchProducer.QUEUE_CAPACITY_DEFAULT);
          ProgressBar bar = options.progressBar() ? progressBar(start, totalSteps) : null) {
        while (step < stopAt) {
          long t0 = System.nanoTime();
          Batch batch = producer.next();
          TrainGraph.StepResult r = train.run(batch, seed);
          stepNanos += System.nanoTime() - t0;
          stepExamples += batch.size();
          step = batch.step() + 1;
          if (!Float.isFinite(r.loss())) {
            Optional<Path> good =
                written.isEmpty()
                    ? Checkpoints.latest(workdir)
                    : Optional.of(written.get(written.size() - 1));
            throw new TrainingDivergedException(step, r.loss(), r.learningRate(), good);
          }
          window.add(r);
          double imagesPerSecond = stepExamples / (stepNanos / 1e9);
          if (step % summaryEvery == 0 || step == totalSteps) {
            tb.scalar("train/loss", step, window.loss());
            tb.scalar("train/accuracy", step, window.accuracy());
            tb.scalar("train/learning_rate", step, r.learningRate());
            tb.scalar("train/grad_norm", step, window.gradNorm());
            tb.scalar("train/images_per_second", step, imagesPerSecond);
            metrics.add(step, "train", "loss", window.loss());
            metrics.add(step, "train", "accuracy", window.accuracy());
            metrics.add(step, "train", "learning_rate", r.learningRate());
            metrics.add(step, "train", "grad_norm", window.gradNorm());
            window.roll();
          }
          if (step % evalEvery == 0 || step == totalSteps) {
            EvalGraph.Evaluation e = eval.evaluate(train.params());
            evalLoss = OptionalDouble.of(e.loss());
            evalAcc = OptionalDouble.of(e.accuracy());
            tb.scalar("eval/loss", step, e.loss());
            tb.scalar("eval/accuracy", step, e.accuracy());
            metrics.add(step, "eval", "loss", e.loss());
            metrics.add(step, "eval", "accuracy", e.accuracy());
            tb.flush();
            LOG.info(
                String.format(
                    Locale.ROOT,
                    "step %d: held-out loss %.4f, accuracy %.4f (%d examples)",
                    step,
                    e.loss(),
                    e.accuracy(),
                    e.examples()));
          }
          if (step % checkpointEvery == 0 || step == stopAt) {
            written.add(
                FlaxMsgpackWriter.save(workdir, train.snapshot(seed), tc.maxCheckpointKeep()));
          }
          if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(
                String.format(
                    Locale.ROOT,
                    "loss %.3f acc %.3f%s %.0f img/s",
                    window.lastLoss(),
                    window.lastAccuracy(),
                    evalAcc.isPresent()
                        ? String.format(Locale.ROOT, " val %.3f", evalAcc.getAsDouble())
                        : "",
                    imagesPerSecond));
          }
        }
      }
      if (start >= stopAt) {
        // Nothing left to train (a finished run resumed): still report the held-out numbers.
        LOG.info("{} is already at step {} of {}; nothing to train", workdir, start, totalSteps);
        EvalGraph.Evaluation e = eval.evaluate(train.params());
        evalLoss = OptionalDouble.of(e.loss());
        evalAcc = OptionalDouble.of(e.accuracy());
      }
      CurvePlot.write(MetricsLog.read(csv), cfg.source() + " (" + dataset.describe() + ")", png);
      Optional<Path> savedModel = Optional.empty();
      if (options.exportSavedModel() && step >= totalSteps) {
        savedModel = Optional.of(export(cfg, workdir, train.params(), written, dataset));
        writeSample(dataset, workdir);
      }
      double ips = stepNanos == 0 ? 0 : stepExamples / (stepNanos / 1e9);
      TrainSummary summary =
          new TrainSummary(
              start,
              step,
              totalSteps,
              window.summaryLoss(),
              window.summaryAccuracy(),
              evalLoss,
              evalAcc,
              ips,
              (System.nanoTime() - started) / 1e9,
              device,
              dataset.describe(),
              written,
              savedModel,
              tbDir,
              csv,
              png);
      LOG.info(
          String.format(
              Locale.ROOT,
              "trained to step %d in %.1f s (%.0f images/s); held-out accuracy %s",
              summary.finalStep(),
              summary.wallSeconds(),
              ips,
              evalAcc.isPresent()
                  ? String.format(Locale.ROOT, "%.4f", evalAcc.getAsDouble())
                  : "n/a"));
      return summary;
    }
  }

  /** Rejects what this trainer cannot train, before any graph is built. */
  static void checkTrainable(ExperimentConfig cfg) {
    if (!cfg.modelDtypeStr().equals("float32")) {
      throw new IllegalArgumentException(
          "model_dtype_str '"
              + cfg.modelDtypeStr()
              + "' is not supported by the trainer, which trains in float32; "
              + "set model_dtype_str: float32");
    }
    if (cfg.train().lrConfigs().isEmpty()) {
      throw new IllegalArgumentException(cfg.source() + ": training needs lr_configs");
    }
    if (cfg.train().batchSize().isEmpty()) {
      throw new IllegalArgumentException(cfg.source() + ": training needs batch_size");
    }
  }

  private static Path export(
      ExperimentConfig cfg,
      Path workdir,
      Map<String, HostArray> params,
      List<Path> written,
      ImageDataset dataset)
      throws IOException {
    Optional<String> text = Optional.empty();
    Path source = Path.of(cfg.source());
    if (Files.isRegularFile(source)) {
      text = Optional.of(Files.readString(source, StandardCharsets.UTF_8));
    }
    ExportSpec spec = ExportSpec.of(cfg, text);
    if (!written.isEmpty()) {
      Path last = written.get(written.size() - 1);
      spec =
          spec.withProvenance(
              Map.of("checkpoint", last.toString(), "checkpoint_sha256", FileDigest.sha256(last)));
    }
    // Class names travel with the model when the data has them (image folders, shapes).
    if (dataset instanceof ImageFolderDataset folders
        && folders.classes().size() == cfg.numClasses()) {
      spec = spec.withLabels(folders.classes());
    } else if (dataset instanceof ShapesDataset
        && cfg.numClasses() <= ShapesDataset.CLASS_NAMES.size()) {
      spec = spec.withLabels(ShapesDataset.CLASS_NAMES.subList(0, cfg.numClasses()));
    }
    ExportResult r =
        SavedModelExporter.of(spec)
            .overwrite(true)
            .export(workdir.resolve(SAVED_MODEL_DIR), params);
    LOG.info("exported SavedModel to {} ({} tensors)", r.directory(), r.parameterTensors());
    return r.directory();
  }

  /**
   * Writes the first held-out examples, as the model sees them, to {@link #SAMPLE_NPY} (and their
   * labels to {@link #SAMPLE_LABELS_NPY}), so {@code predict} can be tried on the exported model.
   */
  private static void writeSample(ImageDataset dataset, Path workdir) throws IOException {
    int n = (int) Math.min(SAMPLE_SIZE, dataset.numEval());
    if (n == 0) {
      return;
    }
    int[] shape = dataset.exampleShape();
    float[] images = new float[n * dataset.exampleSize()];
    float[] labels = new float[n];
    for (int i = 0; i < n; i++) {
      labels[i] = dataset.eval(i, images, i * dataset.exampleSize());
    }
    Npy.write(workdir.resolve(SAMPLE_NPY), new HostArray(Batch.shapeOf(n, shape), images));
    Npy.write(workdir.resolve(SAMPLE_LABELS_NPY), new HostArray(new long[] {n}, labels));
  }

  private static ProgressBar progressBar(long start, long total) {
    ProgressBarBuilder b =
        new ProgressBarBuilder()
            .setTaskName("train")
            .setInitialMax(total)
            .startsFrom(start, Duration.ZERO)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(500);
    if (System.console() == null) {
      // Not an interactive terminal (a log file, CI): its width is unknown, so do not cut the line.
      b.setMaxRenderedLength(120);
    }
    return b.build();
  }

  /** Running means over the current summary window, and those of the last closed window. */
  private static final class Window {
    private double loss;
    private double accuracy;
    private double gradNorm;
    private int n;
    private double lastLoss = Double.NaN;
    private double lastAccuracy = Double.NaN;
    private double closedLoss = Double.NaN;
    private double closedAccuracy = Double.NaN;

    void add(TrainGraph.StepResult r) {
      loss += r.loss();
      accuracy += r.accuracy();
      gradNorm += r.gradNorm();
      n++;
      lastLoss = r.loss();
      lastAccuracy = r.accuracy();
    }

    double loss() {
      return loss / n;
    }

    double accuracy() {
      return accuracy / n;
    }

    double gradNorm() {
      return gradNorm / n;
    }

    double lastLoss() {
      return n == 0 ? closedLoss : loss();
    }

    double lastAccuracy() {
      return n == 0 ? closedAccuracy : accuracy();
    }

    void roll() {
      closedLoss = loss();
      closedAccuracy = accuracy();
      loss = 0;
      accuracy = 0;
      gradNorm = 0;
      n = 0;
    }

    double summaryLoss() {
      return n > 0 ? loss() : closedLoss;
    }

    double summaryAccuracy() {
      return n > 0 ? accuracy() : closedAccuracy;
    }
  }
}
