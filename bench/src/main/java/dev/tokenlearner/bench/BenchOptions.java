package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.core.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What one benchmark run measures and where it writes.
 *
 * <p>Start from {@link #quick(Path)} or {@link #full(Path)} and adjust with {@link #toBuilder()}.
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
   * @throws InvalidInputException naming the offending field (they come from command-line flags)
   */
  public BenchOptions {
    Objects.requireNonNull(outDir, "outDir");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(progress, "progress");
    configs = List.copyOf(configs);
    batches = List.copyOf(batches);
    if (configs.isEmpty()) {
      throw new InvalidInputException("no configs to measure");
    }
    for (BenchConfig c : configs) {
      if (configs.stream().noneMatch(p -> p.name().equals(c.plainName()) && p.isPlain())) {
        throw new InvalidInputException(
            c.name() + ": its plain ViT " + c.plainName() + " is not among the configs");
      }
    }
    if (batches.isEmpty() && trainBatch == 0) {
      throw new InvalidInputException("no inference batch sizes and no training batch");
    }
    for (int b : batches) {
      if (b < 1) {
        throw new InvalidInputException("batch sizes must be positive, got " + batches);
      }
    }
    if (trainBatch < 0) {
      throw new InvalidInputException("trainBatch must be >= 0, got " + trainBatch);
    }
    if (warmup < 0 || repetitions < 1) {
      throw new InvalidInputException(
          "need warmup >= 0 and repetitions >= 1, got " + warmup + " and " + repetitions);
    }
    if (peakMatrixSide < 1) {
      throw new InvalidInputException("peakMatrixSide must be positive, got " + peakMatrixSide);
    }
  }

  /**
   * The quick mode: Ti/16 and S/16 inference at batch 8, the in-process settings sweep, the MatMul
   * peak and the import of S/16. No training step (add one with {@link Builder#trainBatch}):
   * building the 18 training graphs alone takes minutes on a 2-core machine.
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
   * A builder starting from these options.
   *
   * @return the builder
   */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some fields of a copy of {@link BenchOptions}; the rest stay as they were. */
  public static final class Builder {
    private boolean quick;
    private Path outDir;
    private List<BenchConfig> configs;
    private List<Integer> batches;
    private int trainBatch;
    private int warmup;
    private int repetitions;
    private boolean sweep;
    private boolean sweepProcesses;
    private boolean peak;
    private int peakMatrixSide;
    private boolean importBench;
    private boolean pythonReference;
    private SessionSettings settings;
    private long seed;
    private Consumer<String> progress;

    private Builder(BenchOptions o) {
      quick = o.quick;
      outDir = o.outDir;
      configs = o.configs;
      batches = o.batches;
      trainBatch = o.trainBatch;
      warmup = o.warmup;
      repetitions = o.repetitions;
      sweep = o.sweep;
      sweepProcesses = o.sweepProcesses;
      peak = o.peak;
      peakMatrixSide = o.peakMatrixSide;
      importBench = o.importBench;
      pythonReference = o.pythonReference;
      settings = o.settings;
      seed = o.seed;
      progress = o.progress;
    }

    /**
     * Keeps only the configs matching the patterns (see {@link ConfigMatrix#filter}).
     *
     * @param patterns globs over config names; empty keeps all
     * @return this builder
     */
    public Builder configFilter(List<String> patterns) {
      configs = ConfigMatrix.filter(configs, patterns);
      return this;
    }

    /**
     * Sets {@code outDir}.
     *
     * @param value the results folder
     * @return this builder
     */
    public Builder outDir(Path value) {
      outDir = value;
      return this;
    }

    /**
     * Sets {@code configs}.
     *
     * @param value the models to measure
     * @return this builder
     */
    public Builder configs(List<BenchConfig> value) {
      configs = value;
      return this;
    }

    /**
     * Sets {@code batches}.
     *
     * @param value the inference batch sizes
     * @return this builder
     */
    public Builder batches(List<Integer> value) {
      batches = value;
      return this;
    }

    /**
     * Sets {@code trainBatch}.
     *
     * @param value the training batch size, 0 to skip training
     * @return this builder
     */
    public Builder trainBatch(int value) {
      trainBatch = value;
      return this;
    }

    /**
     * Sets {@code warmup}.
     *
     * @param value discarded runs per model and batch
     * @return this builder
     */
    public Builder warmup(int value) {
      warmup = value;
      return this;
    }

    /**
     * Sets {@code repetitions}.
     *
     * @param value measured runs per model and batch
     * @return this builder
     */
    public Builder repetitions(int value) {
      repetitions = value;
      return this;
    }

    /**
     * Sets {@code sweep}.
     *
     * @param value whether to try session settings first
     * @return this builder
     */
    public Builder sweep(boolean value) {
      sweep = value;
      return this;
    }

    /**
     * Sets {@code sweepProcesses}.
     *
     * @param value whether the sweep starts child JVMs
     * @return this builder
     */
    public Builder sweepProcesses(boolean value) {
      sweepProcesses = value;
      return this;
    }

    /**
     * Sets {@code peak}.
     *
     * @param value whether to measure the MatMul peak
     * @return this builder
     */
    public Builder peak(boolean value) {
      peak = value;
      return this;
    }

    /**
     * Sets {@code peakMatrixSide}.
     *
     * @param value the peak MatMul side
     * @return this builder
     */
    public Builder peakMatrixSide(int value) {
      peakMatrixSide = value;
      return this;
    }

    /**
     * Sets {@code importBench}.
     *
     * @param value whether to time checkpoint import
     * @return this builder
     */
    public Builder importBench(boolean value) {
      importBench = value;
      return this;
    }

    /**
     * Sets {@code pythonReference}.
     *
     * @param value whether to measure the Python TF reference
     * @return this builder
     */
    public Builder pythonReference(boolean value) {
      pythonReference = value;
      return this;
    }

    /**
     * Sets {@code settings}.
     *
     * @param value the session settings for all model runs
     * @return this builder
     */
    public Builder settings(SessionSettings value) {
      settings = value;
      return this;
    }

    /**
     * Sets {@code seed}.
     *
     * @param value the weight and input seed
     * @return this builder
     */
    public Builder seed(long value) {
      seed = value;
      return this;
    }

    /**
     * Sets {@code progress}.
     *
     * @param value receives progress lines
     * @return this builder
     */
    public Builder progress(Consumer<String> value) {
      progress = value;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     * @throws IllegalArgumentException naming the offending field
     */
    public BenchOptions build() {
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
          progress);
    }
  }
}
