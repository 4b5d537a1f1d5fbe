package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.FlaxMsgpackReader;
import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.train.data.ArraysDataset;
import dev.tokenlearner.train.data.NpzFiles;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training from Java arrays ({@link ArraysDataset#of}) is training from the same {@code .npz}. */
class TrainFromArraysTest {

  @TempDir Path dir;

  private static final int N = 32;

  @Test
  void run_inMemoryArrays_sameWeightsAsTheSameArraysFromNpz() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("num_training_steps: 3", "log_eval_steps: 3");
    long[] shape = cfg.input().shape(N);
    float[] pixels = new float[Math.toIntExact(HostArray.numElements(shape))];
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextDouble(-1, 1);
    }
    int[] labels = new int[N];
    for (int i = 0; i < N; i++) {
      labels[i] = i % cfg.numClasses();
    }
    HostArray images = new HostArray(shape, pixels);
    Path npz = dir.resolve("set.npz");
    NpzFiles.write(npz, Map.of("images", images), Map.of("labels", labels));

    TrainSummary fromMemory;
    try (ArraysDataset data = ArraysDataset.of(images, labels, cfg.input())) {
      fromMemory = Trainer.run(cfg, dir.resolve("memory"), false, data, TrainOptions.quiet());
    }
    TrainSummary fromFile =
        Trainer.run(cfg, dir.resolve("file"), false, Optional.of(npz), TrainOptions.quiet());

    assertEquals(3, fromMemory.finalStep());
    assertTrue(fromMemory.dataset().contains(N + " examples"), fromMemory.dataset());
    assertEquals(fromFile.trainLoss(), fromMemory.trainLoss());
    assertEquals(fromFile.evalAccuracy(), fromMemory.evalAccuracy());
    FlaxTrainState a = FlaxMsgpackReader.readTrainState(dir.resolve("memory/checkpoint_3"));
    FlaxTrainState b = FlaxMsgpackReader.readTrainState(dir.resolve("file/checkpoint_3"));
    assertEquals(b.params().keySet(), a.params().keySet());
    b.params().forEach((k, v) -> assertArrayEquals(v.data(), a.params().get(k).data(), k));
  }

  @Test
  void of_labelCountDiffers_errorNamesBothCounts() {
    ExperimentConfig cfg = TestConfigs.tiny();
    HostArray images = new HostArray(cfg.input().shape(2), new float[2 * 16 * 16 * 3]);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> ArraysDataset.of(images, new int[] {0, 1, 2}, cfg.input()));
    assertTrue(e.getMessage().contains("labels has 3 entries, expected 2"), e.getMessage());
  }
}
