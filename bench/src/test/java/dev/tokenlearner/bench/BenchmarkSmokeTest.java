package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Classifier;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.config.TokenizerType;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One repetition of the whole harness on a micro ViT: every phase runs and writes its files. */
class BenchmarkSmokeTest {

  private static final InputSpec INPUT = new InputSpec(16, 16, 3, 0, 10);

  private static BenchConfig micro(String name, TokenizerConfig tok) {
    ModelConfig m =
        new ModelConfig(16, 2, 32, 2, OptionalInt.empty(), Classifier.GAP, 0.1, 0.1, 0.0, tok);
    return new BenchConfig(name, "micro", m, INPUT);
  }

  private static TokenizerConfig tokenizer(TokenizerType type, int tokens, boolean fuser) {
    return new TokenizerConfig(type, new int[] {4, 4}, tokens, 1, fuser, true, Optional.empty());
  }

  @Test
  void run_microConfigs_writesReportCsvAndChart(@TempDir Path out) throws Exception {
    List<BenchConfig> configs =
        List.of(
            micro("micro", tokenizer(TokenizerType.PATCH, 0, false)),
            micro("micro tl4", tokenizer(TokenizerType.DYNAMIC, 4, false)),
            micro("micro tl4+fuser", tokenizer(TokenizerType.DYNAMIC, 4, true)));
    BenchOptions o =
        BenchOptions.quick(out).toBuilder()
            .configs(configs)
            .batches(List.of(2))
            .trainBatch(2)
            .warmup(1)
            .repetitions(1)
            .sweep(false)
            .sweepProcesses(false)
            .peak(true)
            .importBench(true)
            .pythonReference(false)
            .peakMatrixSide(64)
            .progress(line -> {})
            .build();

    BenchReport r = Benchmark.run(o);

    assertEquals(6, r.measurements().size());
    Measurement plain = r.select(ModelRunner.Kind.FORWARD, 2).get(0);
    assertEquals("micro", plain.config());
    assertEquals(1.0, plain.flopRatio(), 0);
    assertEquals(1.0, plain.speedup(), 0);
    // 16 patch tokens reduced to 4 from block 1 on: fewer FLOPs than the plain model.
    Measurement tl = r.select(ModelRunner.Kind.FORWARD, 2).get(1);
    assertEquals("micro tl4", tl.config());
    assertTrue(tl.flopRatio() > 1.0, "flop ratio " + tl.flopRatio());
    assertEquals(plain.millis().median() / tl.millis().median(), tl.speedup(), 1e-12);
    assertEquals(3, r.select(ModelRunner.Kind.TRAIN_STEP, 2).size());
    assertTrue(r.peak().orElseThrow().gflops() > 0);

    ImportBench.Result imp = r.importResult().orElseThrow();
    // The float32 weights alone of the plain micro model take 4 bytes each.
    try (ModelRunner runner =
        ModelRunner.open(configs.get(0), ModelRunner.Kind.FORWARD, SessionSettings.defaults(), 0)) {
      assertTrue(imp.fileBytes() > 4 * runner.parameterCount(), "file bytes " + imp.fileBytes());
    }

    String md = Files.readString(out.resolve(Benchmark.MARKDOWN_FILE));
    assertTrue(md.contains("| config "), md);
    assertTrue(md.contains("| flop_ratio |"), md);
    assertTrue(md.contains("| speedup |"), md);
    assertTrue(md.contains("| micro tl4+fuser "), md);
    assertTrue(md.contains("## Checkpoint import"), md);
    List<String> csv = Files.readAllLines(out.resolve(Benchmark.CSV_FILE));
    assertEquals(7, csv.size());
    assertTrue(csv.get(0).startsWith("config,plain,kind,batch,"));
    BufferedImage png = ImageIO.read(out.resolve(Benchmark.CHART_FILE).toFile());
    assertEquals(1000, png.getWidth());
  }
}
