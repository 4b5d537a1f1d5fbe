package dev.tokenlearner.bench;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.FlaxMsgpackWriter;
import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.TokenGrid;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.weights.ImportOptions;
import dev.tokenlearner.weights.WeightImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.tensorflow.types.TFloat32;

/**
 * Checkpoint import time against the time to just read the file's bytes, and peak memory during
 * import and during inference.
 *
 * <p>A Scenic msgpack checkpoint of the model's random weights is written to a temporary folder and
 * read once so both contenders find it in the page cache. Then, interleaved: reading the file into
 * a byte array; parsing it ({@code Checkpoints.read}); and the full import, parsing plus assignment
 * into the graph's variables ({@code WeightImporter.load}, strict).
 */
public final class ImportBench {

  private ImportBench() {}

  /**
   * The import measurement.
   *
   * @param model the config imported
   * @param fileBytes checkpoint size
   * @param readBytesMillis {@code Files.readAllBytes}
   * @param parseMillis {@code Checkpoints.read}
   * @param importMillis {@code Checkpoints.read} plus {@code WeightImporter.load} into a graph that
   *     has been loaded before (its loader ops exist)
   * @param firstImportMillis one {@code Checkpoints.read} plus {@code WeightImporter.load} into a
   *     freshly built graph, which also creates the loader ops, as {@code tokenlearner import} does
   * @param importPeaks heap and resident peaks over the first import into a fresh graph
   * @param inferencePeaks heap and resident peaks over forward runs after the import
   * @param inferenceBatch batch size of those forward runs
   */
  public record Result(
      String model,
      long fileBytes,
      Summary readBytesMillis,
      Summary parseMillis,
      Summary importMillis,
      double firstImportMillis,
      MemoryProbe.Peaks importPeaks,
      MemoryProbe.Peaks inferencePeaks,
      int inferenceBatch) {

    /**
     * Import time over plain read time, by medians; the target is at most 2.
     *
     * @return {@code importMillis.median / readBytesMillis.median}
     */
    public double importOverRead() {
      return importMillis.median() / readBytesMillis.median();
    }
  }

  /**
   * Runs the measurement.
   *
   * @param config the model
   * @param settings session settings
   * @param warmup discarded rounds
   * @param repetitions measured rounds
   * @param inferenceBatch batch of the forward runs whose memory is measured
   * @param seed weight seed
   * @param progress progress lines
   * @return timings and memory peaks
   * @throws UncheckedIOException if the checkpoint cannot be written or read
   */
  public static Result run(
      BenchConfig config,
      SessionSettings settings,
      int warmup,
      int repetitions,
      int inferenceBatch,
      long seed,
      Consumer<String> progress) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("tokenlearner-bench-import");
      try (ModelRunner runner =
          ModelRunner.open(config, ModelRunner.Kind.FORWARD, settings, seed)) {
        Map<String, HostArray> weights = runner.store().initialValues(seed + 1);
        Path file =
            FlaxMsgpackWriter.save(
                dir, FlaxTrainState.of(0, new TreeMap<>(weights), Map.of(), new int[] {0, 0}), 1);
        weights = null;
        long bytes = Files.size(file);
        progress.accept(
            String.format(
                java.util.Locale.ROOT,
                "import: %s, checkpoint of %.1f MB",
                config.name(),
                bytes / 1e6));
        TokenGrid grid = TokenGrid.of(config.model(), config.input());
        Interleaved.Timed readBytes =
            () -> {
              long t0 = System.nanoTime();
              byte[] b = readAll(file);
              long t1 = System.nanoTime();
              if (b.length != bytes) {
                throw new IllegalStateException("read " + b.length + " of " + bytes + " bytes");
              }
              return t1 - t0;
            };
        Interleaved.Timed parse =
            () -> {
              long t0 = System.nanoTime();
              Checkpoint c = read(file);
              long t1 = System.nanoTime();
              if (c.params().isEmpty()) {
                throw new IllegalStateException("no parameters read from " + file);
              }
              return t1 - t0;
            };
        Interleaved.Timed fullImport =
            () -> {
              long t0 = System.nanoTime();
              WeightImporter.load(
                  runner.session(), runner.store(), grid, read(file), ImportOptions.strict());
              return System.nanoTime() - t0;
            };
        // Page cache warm before the first import, so it pays only for graph work.
        readBytes.runNanos();
        double first;
        MemoryProbe.Peaks importPeaks;
        try (ModelRunner fresh = ModelRunner.openUninitialized(config, settings)) {
          System.gc();
          MemoryProbe probe = MemoryProbe.start();
          long t0 = System.nanoTime();
          WeightImporter.load(
              fresh.session(), fresh.store(), grid, read(file), ImportOptions.strict());
          first = (System.nanoTime() - t0) / 1e6;
          importPeaks = probe.stop();
        }
        // Page cache and JIT warm for all three.
        double[][] ms =
            Interleaved.measure(
                List.of(readBytes, parse, fullImport), Math.max(1, warmup), repetitions);
        MemoryProbe.Peaks inferencePeaks;
        try (TFloat32 images = Inputs.images(config.input(), inferenceBatch, seed)) {
          runner.run(images, null);
          System.gc();
          MemoryProbe p2 = MemoryProbe.start();
          for (int i = 0; i < Math.max(2, repetitions); i++) {
            runner.run(images, null);
          }
          inferencePeaks = p2.stop();
        }
        return new Result(
            config.name(),
            bytes,
            Summary.of(ms[0]),
            Summary.of(ms[1]),
            Summary.of(ms[2]),
            first,
            importPeaks,
            inferencePeaks,
            inferenceBatch);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoint import benchmark failed: " + e.getMessage(), e);
    } finally {
      deleteQuietly(dir);
    }
  }

  private static byte[] readAll(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Checkpoint read(Path file) {
    try {
      return Checkpoints.read(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temp folder is harmless; the OS cleans /tmp.
    }
  }
}
