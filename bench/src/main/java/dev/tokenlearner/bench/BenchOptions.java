package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What one benchmark run measures and where it writes.
 *
 * <p>Start from {@link #quick(Path)} or {@link #full(Path)} and adjust with the {@code with*}
 * methods.
 *
 * @param quick whether this is the quick mode (only changes labels in the report)
 * @param outDir folder the Markdown table, the CSV and the PNG chart are written to (created)
 * @param configs models to measure; every TokenLearner config's plain ViT must be among them
 * @param batches inference batch sizes
 * @param trainBatch training-step batch size; 0 skips the training measurement
 * @param warmup discarded runs per model and batch
 * @param repetitions measured runs per model and batch (interleaved across models)
 * @param sweep whether to try session settings (threads, XLA) first
 * @param sweepProcesses whether the sweep also starts child JVMs for process-wide switches (oneDNN
 *     off, XLA CPU auto-jit flags)
 * @param peak whether to measure the MatMul peak
 * @param peakMatrixSide side of the peak MatMul
 * @param importBench whether to time checkpoint import of the largest model in {@code configs}
 * @param pythonReference whether to measure the same ViT-B/16 in Python TF when it is installed
 * @param settings session settings for all model runs
 * @param seed weight and input seed
 * @param progress receives one line per step of the run (e.g. {@code System.err::println})
 */
public record BenchOptions(
    boolean quick,
    Path outDir,
    List<BenchConfig> configs,
    List<Integer> batches,
    int trainBatch,
    int warmup,
    int repetitions,
    boolean sweep,
    boolean sweepProcesses,
    boolean peak,
    int peakMatrixSide,
    boolean importBench,
    boolean pythonReference,
    SessionSettings settings,
    long seed,
    Consumer<String> progress) {

  /** Image side of the standard configs. */
  public static final int IMAGE_SIZE = 224;

  /** Side of the peak MatMul: 2·2048³ ≈ 17 GFLOP per run, large enough to saturate the cores. */
  public static final int PEAK_MATRIX_SIDE_DEFAULT = 2048;

  /**
   * Validates the fields and copies the lists.
   *
   * @throws IllegalArgumentException naming the offending field
   */
  public BenchOptions {
    Objects.requireNonNull(outDir, "outDir");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(progress, "progress");
    configs = List.copyOf(configs);
    batches = List.copyOf(batches);
    if (configs.isEmpty()) {
      throw new IllegalArgumentException("no configs to measure");
    }
    for (BenchConfig c : configs) {
      if (configs.stream().noneMatch(p -> p.name().equals(c.plainName()) && p.isPlain())) {
        throw new IllegalArgumentException(
            c.name() + ": its plain ViT " + c.plainName() + " is not among the configs");
      }
    }
    if (batches.isEmpty() && trainBatch == 0) {
      throw new IllegalArgumentException("no inference batch sizes and no training batch");
    }
    for (int b : batches) {
      if (b < 1) {
        throw new IllegalArgumentException("batch sizes must be positive, got " + batches);
      }
    }
    if (trainBatch < 0) {
      throw new IllegalArgumentException("trainBatch must be >= 0, got " + trainBatch);
    }
    if (warmup < 0 || repetitions < 1) {
      throw new IllegalArgumentException(
          "need warmup >= 0 and repetitions >= 1, got " + warmup + " and " + repetitions);
    }
    if (peakMatrixSide < 1) {
      throw new IllegalArgumentException("peakMatrixSide must be positive, got " + peakMatrixSide);
    }
  }

  /**
   * The quick mode: Ti/16 and S/16 inference at batch 8, the in-process settings sweep, the MatMul
   * peak and the import of S/16. No training step (add one with {@link #withBatches}): building the
   * 18 training graphs alone takes minutes on a 2-core machine.
   *
   * @param outDir results folder
   * @return the options
   */
  public static BenchOptions quick(Path outDir) {
    return new BenchOptions(
        true,
        outDir,
        ConfigMatrix.standard(List.of(ViTSize.TI, ViTSize.S), IMAGE_SIZE),
        List.of(8),
        0,
        2,
        5,
        true,
        false,
        true,
        PEAK_MATRIX_SIDE_DEFAULT,
        true,
        false,
        SessionSettings.defaults(),
        0L,
        System.err::println);
  }

  /**
   * The full mode: Ti/16, S/16 and B/16 at batch 1, 8 and 32, training step at batch 8, the whole
   * settings sweep (with child processes), the peak, the import of B/16 and, where Python TF is
   * installed, the Python reference.
   *
   * @param outDir results folder
   * @return the options
   */
  public static BenchOptions full(Path outDir) {
    return new BenchOptions(
        false,
        outDir,
        ConfigMatrix.standard(List.of(ViTSize.TI, ViTSize.S, ViTSize.B), IMAGE_SIZE),
        List.of(1, 8, 32),
        8,
        2,
        5,
        true,
        true,
        true,
        PEAK_MATRIX_SIDE_DEFAULT,
        true,
        true,
        SessionSettings.defaults(),
        0L,
        System.err::println);
  }

  /**
   * Keeps only configs matching the patterns (see {@link ConfigMatrix#filter}).
   *
   * @param patterns globs over config names; empty keeps all
   * @return the copy
   */
  public BenchOptions withConfigFilter(List<String> patterns) {
    return withConfigs(ConfigMatrix.filter(configs, patterns));
  }

  /**
   * Returns a copy measuring other configs.
   *
   * @param newConfigs the configs
   * @return the copy
   */
  public BenchOptions withConfigs(List<BenchConfig> newConfigs) {
    return new BenchOptions(
        quick,
        outDir,
        newConfigs,
        batches,
        trainBatch,
        warmup,
        repetitions,
        sweep,
        sweepProcesses,
        peak,
        peakMatrixSide,
        importBench,
        pythonReference,
        settings,
        seed,
        progress);
  }

  /**
   * Returns a copy with other batch sizes.
   *
   * @param newBatches inference batch sizes
   * @param newTrainBatch training batch size, 0 to skip training
   * @return the copy
   */
  public BenchOptions withBatches(List<Integer> newBatches, int newTrainBatch) {
    return new BenchOptions(
        quick,
        outDir,
        configs,
        newBatches,
        newTrainBatch,
        warmup,
        repetitions,
        sweep,
        sweepProcesses,
        peak,
        peakMatrixSide,
        importBench,
        pythonReference,
        settings,
        seed,
        progress);
  }

  /**
   * Returns a copy with other run counts.
   *
   * @param newWarmup discarded runs
   * @param newRepetitions measured runs
   * @return the copy
   */
  public BenchOptions withRuns(int newWarmup, int newRepetitions) {
    return new BenchOptions(
        quick,
        outDir,
        configs,
        batches,
        trainBatch,
        newWarmup,
        newRepetitions,
        sweep,
        sweepProcesses,
        peak,
        peakMatrixSide,
        importBench,
        pythonReference,
        settings,
        seed,
        progress);
  }

  /**
   * Returns a copy with the optional parts switched.
   *
   * @param newSweep settings sweep
   * @param newSweepProcesses child-process part of the sweep
   * @param newPeak MatMul peak
   * @param newImportBench checkpoint import
   * @param newPythonReference Python TF reference
   * @return the copy
   */
  public BenchOptions withParts(
      boolean newSweep,
      boolean newSweepProcesses,
      boolean newPeak,
      boolean newImportBench,
      boolean newPythonReference) {
    return new BenchOptions(
        quick,
        outDir,
        configs,
        batches,
        trainBatch,
        warmup,
        repetitions,
        newSweep,
        newSweepProcesses,
        newPeak,
        peakMatrixSide,
        newImportBench,
        newPythonReference,
        settings,
        seed,
        progress);
  }

  /**
   * Returns a copy with another peak MatMul side.
   *
   * @param side the matrix side
   * @return the copy
   */
  public BenchOptions withPeakMatrixSide(int side) {
    return new BenchOptions(
        quick,
        outDir,
        configs,
        batches,
        trainBatch,
        warmup,
        repetitions,
        sweep,
        sweepProcesses,
        peak,
        side,
        importBench,
        pythonReference,
        settings,
        seed,
        progress);
  }

  /**
   * Returns a copy with other session settings.
   *
   * @param newSettings the settings for all model runs
   * @return the copy
   */
  public BenchOptions withSettings(SessionSettings newSettings) {
    return new BenchOptions(
        quick,
        outDir,
        configs,
        batches,
        trainBatch,
        warmup,
        repetitions,
        sweep,
        sweepProcesses,
        peak,
        peakMatrixSide,
        importBench,
        pythonReference,
        newSettings,
        seed,
        progress);
  }

  /**
   * Returns a copy with another progress sink.
   *
   * @param newProgress receives progress lines
   * @return the copy
   */
  public BenchOptions withProgress(Consumer<String> newProgress) {
    return new BenchOptions(
        quick,
        outDir,
        configs,
        batches,
        trainBatch,
        warmup,
        repetitions,
        sweep,
        sweepProcesses,
        peak,
        peakMatrixSide,
        importBench,
        pythonReference,
        settings,
        seed,
        newProgress);
  }

  /**
   * Returns a copy writing elsewhere.
   *
   * @param newOutDir the results folder
   * @return the copy
   */
  public BenchOptions withOutDir(Path newOutDir) {
    return new BenchOptions(
        quick,
        newOutDir,
        configs,
        batches,
        trainBatch,
        warmup,
        repetitions,
        sweep,
        sweepProcesses,
        peak,
        peakMatrixSide,
        importBench,
        pythonReference,
        settings,
        seed,
        progress);
  }
}
