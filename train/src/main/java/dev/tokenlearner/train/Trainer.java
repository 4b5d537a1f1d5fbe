package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.FlaxMsgpackReader;
import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.config.RuntimeConfig;
import dev.tokenlearner.config.TrainConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.maps.MapFigures;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.ImageFolderDataset;
import dev.tokenlearner.train.data.ShapesDataset;
import dev.tokenlearner.train.data.TrainOrder;
import dev.tokenlearner.train.data.VideoDataset;
import dev.tokenlearner.train.profile.RunTrace;
import dev.tokenlearner.train.profile.StepProfile;
import dev.tokenlearner.train.summary.CurvePlot;
import dev.tokenlearner.train.summary.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a TokenLearner model from an experiment config, as Scenic's {@code classification_trainer}
 * does, in a TensorFlow Java graph.
 *
 * <p>Per step: the next batch (prepared ahead by a {@link BatchProducer}), the loss of the model in
 * training mode, symbolic gradients, global-norm clipping ({@code max_grad_norm}), the optimizer
 * update with the learning rate computed in the graph from the global step. Every {@code
 * log_summary_steps}: training loss, accuracy, learning rate and gradient norm to TensorBoard and
 * {@code metrics.csv}. Every {@code log_eval_steps} and at the end: held-out loss and top-1
 * accuracy (one centred view per video). For video with {@code dataset_configs.do_multicrop_test},
 * every {@code log_test_epochs} epochs and at the end: Scenic's multi-crop test ({@code test/}
 * metrics, logits averaged over each video's views). Every {@code checkpoint_steps} and at the end:
 * an atomic Scenic-format checkpoint {@code <workdir>/checkpoint_<step>} (the newest {@code
 * max_checkpoint_keep} kept). At the end: {@code curves.png}, and the final parameters with a
 * held-out sample in {@link TrainSummary#finalModel()} for the caller to export (the CLI writes the
 * SavedModel {@code <workdir>/saved_model}; training itself has no export code).
 *
 * <p>Determinism: which examples a step sees, their augmentation and the dropout key {@code [seed,
 * step]} depend only on (seed, step), so a resumed run reaches the same weights as an uninterrupted
 * one (on the same device and thread setup).
 *
 * <p>A loss that becomes NaN or infinite stops the run with a {@link TrainingDivergedException};
 * the diverged state is not saved.
 *
 * <p>Data-parallel training ({@link #run(ExperimentConfig, Path, boolean, Optional, TrainOptions,
 * Replication)}): every replica runs this loop on its shard of each global batch; the step averages
 * gradients, loss and correct count over the replicas; only the chief evaluates and writes.
 */
public final class Trainer {

  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  /** Folder of the TensorBoard event files inside the workdir. */
  public static final String TENSORBOARD_DIR = "tensorboard";

  /** The metrics CSV inside the workdir. */
  public static final String METRICS_CSV = "metrics.csv";

  /** The learning-curve plot inside the workdir. */
  public static final String CURVES_PNG = "curves.png";

  /** The Chrome trace of {@code train --profile-steps} inside the workdir. */
  public static final String PROFILE_TRACE = "profile_trace.json";

  /** Steps run before profiling starts, so the profile leaves out first-run costs. */
  private static final int PROFILE_WARMUP = 2;

  private static final int SAMPLE_SIZE = 16;

  /** TensorBoard tag prefix of the token-map images. */
  public static final String TOKEN_MAPS_TAG = "token_maps";

  /** Held-out examples whose token maps are drawn at each evaluation. */
  public static final int TOKEN_MAP_EXAMPLES = 3;

  private Trainer() {}

  /**
   * Trains with the default options (progress bar, final model handed back at the end).
   *
   * @param cfg the experiment
   * @param workdir where checkpoints, summaries and the model go (created if missing)
   * @param resume continue from the newest checkpoint in {@code workdir}
   * @param dataOverride a data path replacing the config's dataset (image folder or TFRecords)
   * @return what the run did and wrote
   * @throws IOException if data, checkpoints or summaries cannot be read or written
   * @throws InvalidInputException if the config cannot be trained (no {@code lr_configs}, no {@code
   *     batch_size}, data that does not fit)
   * @throws WorkdirInUseException if {@code workdir} already holds checkpoints and {@code resume}
   *     is false
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
   * @throws InvalidInputException if the config cannot be trained
   * @throws WorkdirInUseException if {@code workdir} already holds checkpoints and {@code resume}
   *     is false
   * @throws TrainingDivergedException if the loss becomes NaN or infinite
   */
  public static TrainSummary run(
      ExperimentConfig cfg,
      Path workdir,
      boolean resume,
      Optional<Path> dataOverride,
      TrainOptions options)
      throws IOException {
    return run(cfg, workdir, resume, dataOverride, options, Replication.single());
  }

  /**
   * Trains as one replica of data-parallel training: this replica takes its slice of every global
   * batch ({@code batch_size} is the global batch and must split evenly), gradients are averaged
   * over the replicas, and only the chief (rank 0) evaluates and writes checkpoints, summaries and
   * the curves, and hands back the final model. With {@code resume}, every replica restores the
   * newest checkpoint in {@code workdir} (shared storage), then takes the chief's weights.
   *
   * @param cfg the experiment
   * @param workdir where checkpoints, summaries and the model go (created if missing)
   * @param resume continue from the newest checkpoint in {@code workdir}
   * @param dataOverride a data path replacing the config's dataset (image folder or TFRecords)
   * @param options presentation and early stop
   * @param replication which replica this is and how it talks to the others
   * @return what the run did and wrote (on other replicas than the chief: no evaluation, nothing
   *     written)
   * @throws IOException if data, checkpoints or summaries cannot be read or written
   * @throws WorkdirInUseException if {@code workdir} already holds checkpoints and {@code resume}
   *     is false
   * @throws InvalidInputException if the config cannot be trained, {@code batch_size} does not
   *     split over the replicas, XLA is asked for with several replicas, or the replicas start at
   *     different steps
   * @throws TrainingDivergedException if the loss becomes NaN or infinite
   * @throws RuntimeException what {@link Replication#failed} makes of a failed step
   */
  public static TrainSummary run(
      ExperimentConfig cfg,
      Path workdir,
      boolean resume,
      Optional<Path> dataOverride,
      TrainOptions options,
      Replication replication)
      throws IOException {
    // Checked before the data is opened, which can take long for a large folder.
    checkTrainable(cfg);
    checkWorkdir(workdir, resume);
    try (ImageDataset dataset = Datasets.open(cfg, dataOverride, options.evalData())) {
      return run(cfg, workdir, resume, dataset, options, replication);
    }
  }

  /**
   * Trains on a dataset the caller built, e.g. arrays from memory ({@link
   * dev.tokenlearner.train.data.ArraysDataset#of}); the config's {@code dataset_name} is not read.
   * The caller keeps ownership of the dataset and closes it.
   *
   * @param cfg the experiment
   * @param workdir where checkpoints, summaries and the model go (created if missing)
   * @param resume continue from the newest checkpoint in {@code workdir}
   * @param dataset the training and held-out examples, at the model's input shape
   * @param options presentation and early stop
   * @return what the run did and wrote
   * @throws IOException if checkpoints or summaries cannot be read or written
   * @throws IllegalArgumentException if the config cannot be trained, or {@code workdir} already
   *     holds checkpoints and {@code resume} is false
   * @throws TrainingDivergedException if the loss becomes NaN or infinite
   */
  public static TrainSummary run(
      ExperimentConfig cfg,
      Path workdir,
      boolean resume,
      ImageDataset dataset,
      TrainOptions options)
      throws IOException {
    return run(cfg, workdir, resume, dataset, options, Replication.single());
  }

  private static TrainSummary run(
      ExperimentConfig cfg,
      Path workdir,
      boolean resume,
      ImageDataset dataset,
      TrainOptions options,
      Replication replication)
      throws IOException {
    long started = System.nanoTime();
    checkTrainable(cfg);
    checkWorkdir(workdir, resume);
    Files.createDirectories(workdir);
    Optional<Path> latest = Checkpoints.latest(workdir);
    Plan plan = Plan.of(cfg, dataset.numTrain(), options);
    RuntimeConfig runtime = cfg.runtime();
    Devices.Placement placement = Devices.select(runtime.device(), options.logDevicePlacement());
    String device = placement.device();
    XlaChoice xlaChoice =
        XlaChoice.of(
            runtime, cfg.model(), plan.totalSteps(), plan.batchSize(), replication.replicas());
    boolean xla = xlaChoice.on();
    if (plan.batchSize() % replication.replicas() != 0) {
      throw new InvalidInputException(
          cfg.source()
              + ": batch_size "
              + plan.batchSize()
              + " (the global batch) does not split evenly over "
              + replication.replicas()
              + " replicas");
    }
    LOG.info(
        "training {} on {}: {} steps of {} examples; steps run on {} ({}), XLA {} ({}), {}",
        cfg.source(),
        dataset.describe(),
        plan.totalSteps(),
        plan.batchSize(),
        device,
        placement.reason(),
        xla ? "on" : "off",
        xlaChoice.reason(),
        replication.describe());
    try (TrainStep step =
        TrainStep.builder(cfg)
            .sessionConfig(placement.sessionConfig())
            .xla(xla)
            .replication(replication)
            .build()) {
      long start = startFrom(step, cfg, workdir, resume, latest);
      step.synchronize();
      Loop loop =
          new Loop(
              cfg,
              workdir,
              dataset,
              plan,
              step,
              replication.isChief() ? options.profileSteps() : 0);
      loop.run(start, options.progressBar());
      if (!replication.isChief()) {
        // The other replicas only take part in every step; the chief evaluates and writes.
        return summarize(loop, start, started, device, Optional.empty());
      }
      if (start >= plan.stopAt()) {
        // Nothing left to train (a finished run resumed): still report the held-out numbers.
        LOG.info(
            "{} is already at step {} of {}; nothing to train", workdir, start, plan.totalSteps());
        long t0 = System.nanoTime();
        loop.evaluate();
        loop.loopNanos += System.nanoTime() - t0;
      }
      CurvePlot.write(
          MetricsLog.read(workdir.resolve(METRICS_CSV)),
          experimentName(cfg),
          workdir.resolve(CURVES_PNG));
      Optional<FinalModel> finalModel = Optional.empty();
      if (options.finalModel() && loop.step >= plan.totalSteps()) {
        finalModel =
            Optional.of(finalModel(cfg, step.params(), loop.checkpoints.newestWritten(), dataset));
      }
      return summarize(loop, start, started, device, finalModel);
    }
  }

  /** What the run did, logged in one line. */
  private static TrainSummary summarize(
      Loop loop, long start, long startedNanos, String device, Optional<FinalModel> finalModel) {
    TrainSummary summary =
        new TrainSummary(
            start,
            loop.step,
            loop.plan.totalSteps(),
            loop.window.recentLoss(),
            loop.window.recentAccuracy(),
            loop.evalLoss,
            loop.evalAccuracy,
            loop.imagesPerSecond(),
            (System.nanoTime() - startedNanos) / 1e9,
            device,
            loop.dataset.describe(),
            loop.checkpoints.written(),
            finalModel,
            loop.workdir.resolve(TENSORBOARD_DIR),
            loop.workdir.resolve(METRICS_CSV),
            loop.workdir.resolve(CURVES_PNG),
            loop.inputWaitFraction(),
            loop.breakdown());
    LOG.info(
        String.format(
            Locale.ROOT,
            "trained to step %d in %.1f s (%.0f images/s, %.1f %% of step time waiting for"
                + " input); held-out accuracy %s",
            summary.finalStep(),
            summary.wallSeconds(),
            summary.imagesPerSecond(),
            100 * summary.inputWaitFraction(),
            loop.evalAccuracy.isPresent()
                ? String.format(Locale.ROOT, "%.4f", loop.evalAccuracy.getAsDouble())
                : "n/a"));
    LOG.info("time: {}", summary.time().format());
    return summary;
  }

  /**
   * Restores the newest checkpoint when resuming, otherwise gives the step fresh weights.
   *
   * @return the step training continues from
   */
  private static long startFrom(
      TrainStep step, ExperimentConfig cfg, Path workdir, boolean resume, Optional<Path> latest)
      throws IOException {
    long seed = cfg.train().rngSeed();
    if (resume && latest.isPresent()) {
      FlaxTrainState state = FlaxMsgpackReader.readTrainState(latest.get());
      step.restore(state);
      LOG.info("resumed from {} at step {}", latest.get(), state.step());
      if (!Arrays.equals(state.rng(), TrainStateIo.prngKey(seed))) {
        LOG.warn(
            "{} was written with another rng_seed; continuing with rng_seed {}",
            latest.get(),
            seed);
      }
      return state.step();
    }
    if (resume) {
      LOG.info("no checkpoint in {}; starting from scratch", workdir);
    }
    step.initialize();
    InitFrom.apply(cfg, step.parameters(), step.session());
    return 0;
  }

  /** How long a run trains and how often it logs, evaluates and saves. */
  private record Plan(
      int batchSize,
      long totalSteps,
      long stopAt,
      long summaryEvery,
      long evalEvery,
      long checkpointEvery,
      long testEvery) {

    static Plan of(ExperimentConfig cfg, long numTrain, TrainOptions options) {
      TrainConfig tc = cfg.train();
      int batchSize = tc.requireBatchSize();
      long stepsPerEpoch = tc.stepsPerEpoch(numTrain);
      long total = tc.resolvedTotalSteps(numTrain);
      if (total <= 0) {
        throw new InvalidInputException(
            "the config trains for 0 steps ("
                + numTrain
                + " examples, batch_size "
                + batchSize
                + ")");
      }
      return new Plan(
          batchSize,
          total,
          Math.min(total, options.stopAfterStep().orElse(total)),
          tc.resolvedLogSummarySteps(stepsPerEpoch),
          tc.resolvedLogEvalSteps(stepsPerEpoch),
          tc.resolvedCheckpointSteps(stepsPerEpoch),
          // Scenic's multi-crop test: every log_test_epochs epochs (default: with evaluation).
          Evaluator.logTestEpochs(cfg).isPresent()
              ? Math.max(1, (long) (stepsPerEpoch * Evaluator.logTestEpochs(cfg).getAsDouble()))
              : tc.resolvedLogEvalSteps(stepsPerEpoch));
    }
  }

  /** The training loop and what it reports: one step, then summaries, evaluation, checkpoints. */
  private static final class Loop {
    private final ExperimentConfig cfg;
    private final Path workdir;
    private final ImageDataset dataset;
    private final Plan plan;
    private final TrainStep train;
    private final Replication replication;
    private final Evaluator evaluator;
    private final Optional<VideoDataset> testViews;
    private final Checkpointer checkpoints;
    private final MetricWindow window = new MetricWindow();
    private OptionalDouble evalLoss = OptionalDouble.empty();
    private OptionalDouble evalAccuracy = OptionalDouble.empty();
    private long stepNanos;
    private long inputNanos;
    private long stepExamples;
    private long step;
    private HostArray mapExamples;
    private int[] mapLabels;
    private long loopNanos;
    private long evalNanos;
    private long checkpointNanos;
    private long sessionNanosAtStart;
    private final int profileSteps;
    private StepProfile profile;
    private RunTrace lastTrace;

    Loop(
        ExperimentConfig cfg,
        Path workdir,
        ImageDataset dataset,
        Plan plan,
        TrainStep train,
        int profileSteps) {
      this.cfg = cfg;
      this.profileSteps = profileSteps;
      this.workdir = workdir;
      this.dataset = dataset;
      this.plan = plan;
      this.train = train;
      this.replication = train.replication();
      this.evaluator = new Evaluator(dataset, cfg.train().resolvedEvalBatchSize());
      this.testViews = Evaluator.multiCropTest(cfg, dataset);
      this.checkpoints = new Checkpointer(workdir, cfg.train().maxCheckpointKeep());
    }

    void run(long start, boolean showProgress) throws IOException {
      long loopStart = System.nanoTime();
      sessionNanosAtStart = train.sessionNanos();
      try {
        runSteps(start, showProgress);
      } finally {
        loopNanos += System.nanoTime() - loopStart;
      }
    }

    private void runSteps(long start, boolean showProgress) throws IOException {
      step = start;
      long seed = cfg.train().rngSeed();
      boolean chief = replication.isChief();
      TrainOrder order = new TrainOrder(seed, plan.batchSize(), dataset.numTrain());
      if (replication.replicas() > 1) {
        order = order.shard(replication.rank(), replication.replicas());
      }
      // Only the chief writes; the other replicas just take part in every step.
      try (MetricsSink metrics =
              chief
                  ? new MetricsSink(
                      workdir.resolve(TENSORBOARD_DIR), workdir.resolve(METRICS_CSV), start)
                  : null;
          BatchProducer producer =
              new BatchProducer(
                  dataset,
                  order,
                  order.shardSize(),
                  start,
                  plan.stopAt(),
                  BatchProducer.QUEUE_CAPACITY_DEFAULT,
                  BatchProducer.defaultThreads());
          Progress progress = Progress.of(showProgress && chief, start, plan.totalSteps())) {
        if (metrics != null) {
          metrics.describe(cfg, start);
        }
        long profileFrom =
            start + Math.min(PROFILE_WARMUP, Math.max(0, plan.stopAt() - start - profileSteps));
        while (step < plan.stopAt()) {
          boolean traced = profileSteps > 0 && step >= profileFrom;
          traced &= step < profileFrom + profileSteps;
          StepResult r = trainOne(producer, traced);
          if (traced && (step == profileFrom + profileSteps || step == plan.stopAt())) {
            reportProfile();
          }
          if (!chief) {
            continue;
          }
          if (step % plan.summaryEvery() == 0 || step == plan.totalSteps()) {
            summarize(metrics, r);
          }
          if (step % plan.evalEvery() == 0 || step == plan.totalSteps()) {
            evaluate(metrics);
          }
          if (testViews.isPresent()
              && (step % plan.testEvery() == 0 || step == plan.totalSteps())) {
            test(metrics, testViews.get());
          }
          if (step % plan.checkpointEvery() == 0 || step == plan.stopAt()) {
            long t0 = System.nanoTime();
            checkpoints.save(train);
            checkpointNanos += System.nanoTime() - t0;
          }
          progress.update(step, window, evalAccuracy, imagesPerSecond());
        }
      }
    }

    private StepResult trainOne(BatchProducer producer, boolean traced) throws IOException {
      long t0 = System.nanoTime();
      Batch batch = producer.next();
      long input = System.nanoTime() - t0;
      inputNanos += input;
      long session0 = train.sessionNanos();
      if (traced) {
        train.trace(Optional.of(t -> lastTrace = t));
      }
      StepResult r;
      try {
        r = train.run(batch);
      } finally {
        train.trace(Optional.empty());
      }
      long wall = System.nanoTime() - t0;
      stepNanos += wall;
      if (traced) {
        if (profile == null) {
          profile = new StepProfile(train.graph());
        }
        profile.add(lastTrace, wall - input - (train.sessionNanos() - session0));
      }
      stepExamples += (long) batch.size() * replication.replicas();
      step = batch.step() + 1;
      if (!Float.isFinite(r.loss())) {
        throw new TrainingDivergedException(
            step, r.loss(), r.learningRate(), checkpoints.lastGood());
      }
      window.add(r);
      return r;
    }

    /** Logs the profile's top ops and writes its Chrome trace. */
    private void reportProfile() throws IOException {
      Path file = workdir.resolve(PROFILE_TRACE);
      profile.writeChromeTrace(file);
      LOG.info(
          "training step profile (Chrome trace: {}):{}{}",
          file,
          System.lineSeparator(),
          profile.toMarkdown(
              cfg.source() + ", steps " + (step - profile.steps()) + ".." + step, 15));
    }

    private void summarize(MetricsSink metrics, StepResult r) throws IOException {
      metrics.add(step, "train", "loss", window.loss());
      metrics.add(step, "train", "accuracy", window.accuracy());
      metrics.add(step, "train", "learning_rate", r.learningRate());
      metrics.add(step, "train", "grad_norm", window.gradNorm());
      metrics.add(step, "train", "images_per_second", imagesPerSecond());
      window.roll();
    }

    private void evaluate(MetricsSink metrics) throws IOException {
      Evaluator.Evaluation e = evaluate();
      metrics.add(step, "eval", "loss", e.loss());
      metrics.add(step, "eval", "accuracy", e.accuracy());
      tokenMaps(metrics);
      metrics.flush();
      LOG.info(
          String.format(
              Locale.ROOT,
              "step %d: held-out loss %.4f, accuracy %.4f (%d examples)",
              step,
              e.loss(),
              e.accuracy(),
              e.examples()));
    }

    /**
     * The first TokenLearner's maps of the first few held-out examples as TensorBoard images
     * ({@value #TOKEN_MAPS_TAG}/example_i), the same examples at every evaluation so the tokens can
     * be watched specialising.
     */
    private void tokenMaps(MetricsSink metrics) throws IOException {
      if (!cfg.model().hasTokenLearner() || dataset.numEval() == 0) {
        return;
      }
      if (mapExamples == null) {
        int n = (int) Math.min(TOKEN_MAP_EXAMPLES, dataset.numEval());
        float[] images = new float[n * dataset.exampleSize()];
        mapLabels = new int[n];
        for (int i = 0; i < n; i++) {
          mapLabels[i] = dataset.eval(i, images, i * dataset.exampleSize());
        }
        mapExamples = new HostArray(Batch.shapeOf(n, dataset.exampleShape()), images);
      }
      Optional<HostArray> maps = train.evalTokenMaps(mapExamples);
      if (maps.isEmpty()) {
        return;
      }
      Normalization norm = Normalization.of(cfg);
      for (int i = 0; i < mapLabels.length; i++) {
        String title =
            String.format(
                Locale.ROOT, "held-out example %d (class %d), step %d", i, mapLabels[i], step);
        metrics.image(
            step,
            TOKEN_MAPS_TAG + "/example_" + i,
            cfg.input().isVideo()
                ? MapFigures.clipSteps(mapExamples, maps.get(), i, norm, title)
                : MapFigures.image(mapExamples, maps.get(), i, norm, title));
      }
    }

    /** Scenic's multi-crop test of a video model: all views of each held-out video, averaged. */
    private void test(MetricsSink metrics, VideoDataset videos) throws IOException {
      long t0 = System.nanoTime();
      Evaluator.MultiViewEvaluation e =
          Evaluator.evaluateViews(videos, cfg.train().resolvedEvalBatchSize(), train::evalLogits);
      evalNanos += System.nanoTime() - t0;
      metrics.add(step, "test", "loss", e.loss());
      metrics.add(step, "test", "accuracy", e.accuracy());
      if (e.top5Accuracy().isPresent()) {
        metrics.add(step, "test", "accuracy_top_5", e.top5Accuracy().getAsDouble());
      }
      metrics.flush();
      LOG.info(
          String.format(
              Locale.ROOT,
              "step %d: multi-crop test loss %.4f, accuracy %.4f%s (%d videos x %d views)",
              step,
              e.loss(),
              e.accuracy(),
              e.top5Accuracy().isPresent()
                  ? String.format(Locale.ROOT, ", top-5 %.4f", e.top5Accuracy().getAsDouble())
                  : "",
              e.videos(),
              e.views()));
    }

    Evaluator.Evaluation evaluate() throws IOException {
      long t0 = System.nanoTime();
      Evaluator.Evaluation e = evaluator.evaluate(train);
      evalNanos += System.nanoTime() - t0;
      evalLoss = OptionalDouble.of(e.loss());
      evalAccuracy = OptionalDouble.of(e.accuracy());
      return e;
    }

    /** Where the loop's time went (evaluation after the loop, if any, counts in neither). */
    TimeBreakdown breakdown() {
      return TimeBreakdown.ofNanos(
          loopNanos,
          inputNanos,
          train.sessionNanos() - sessionNanosAtStart,
          evalNanos,
          checkpointNanos);
    }

    /** Share of the timed step loop spent waiting for the next batch. */
    double inputWaitFraction() {
      return stepNanos == 0 ? 0 : (double) inputNanos / stepNanos;
    }

    double imagesPerSecond() {
      return stepNanos == 0 ? 0 : stepExamples / (stepNanos / 1e9);
    }
  }

  /** Scenic's {@code experiment_name}, else the config's file name without its suffix. */
  static String experimentName(ExperimentConfig cfg) {
    if (cfg.raw().get("experiment_name") instanceof String name && !name.isBlank()) {
      return name;
    }
    String source = cfg.source();
    String file = source.substring(Math.max(source.lastIndexOf('/'), source.lastIndexOf(':')) + 1);
    int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }

  /** Rejects what this trainer cannot train, before any graph is built. */
  static void checkTrainable(ExperimentConfig cfg) {
    if (cfg.train().lrConfigs().isEmpty()) {
      throw new InvalidInputException(
          cfg.source()
              + ": training needs lr_configs (add an lr_configs block, as in the bundled configs)");
    }
    if (cfg.train().batchSize().isEmpty()) {
      throw new InvalidInputException(cfg.source() + ": training needs batch_size (add one)");
    }
  }

  /**
   * Rejects a fresh run into a workdir that already holds a checkpoint.
   *
   * @throws WorkdirInUseException naming the checkpoint, unless {@code resume}
   */
  static void checkWorkdir(Path workdir, boolean resume) throws IOException {
    if (Files.exists(workdir) && !Files.isDirectory(workdir)) {
      throw new InvalidInputException(
          workdir + " is a file; --workdir takes a folder (created if missing)");
    }
    Optional<Path> latest =
        Files.isDirectory(workdir) ? Checkpoints.latest(workdir) : Optional.empty();
    if (!resume && latest.isPresent()) {
      throw new WorkdirInUseException(workdir, latest.get());
    }
  }

  /** The final parameters, the data's class names and the first held-out examples. */
  private static FinalModel finalModel(
      ExperimentConfig cfg,
      Map<String, HostArray> params,
      Optional<Path> checkpoint,
      ImageDataset dataset)
      throws IOException {
    // Class names travel with the model when the data has them (image folders, shapes).
    List<String> labels = List.of();
    if (dataset instanceof ImageFolderDataset folders
        && folders.classes().size() == cfg.numClasses()) {
      labels = folders.classes();
    } else if (dataset instanceof ShapesDataset
        && cfg.numClasses() <= ShapesDataset.CLASS_NAMES.size()) {
      labels = ShapesDataset.CLASS_NAMES.subList(0, cfg.numClasses());
    }
    int n = (int) Math.min(SAMPLE_SIZE, dataset.numEval());
    float[] images = new float[n * dataset.exampleSize()];
    float[] sampleLabels = new float[n];
    for (int i = 0; i < n; i++) {
      sampleLabels[i] = dataset.eval(i, images, i * dataset.exampleSize());
    }
    return new FinalModel(
        params,
        checkpoint,
        labels,
        new HostArray(Batch.shapeOf(n, dataset.exampleShape()), images),
        new HostArray(new long[] {n}, sampleLabels));
  }
}
