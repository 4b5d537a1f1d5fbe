package dev.tokenlearner.export.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ServingRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenLearnerPredictorTest {

  @TempDir static Path tmp;
  private static Path root;

  @BeforeAll
  static void export() throws IOException {
    root = tmp.resolve("models/tiny");
    ServingFixture.export(tmp.resolve("export"));
    ServingRoot.publish(root, tmp.resolve("export"));
    Files.write(tmp.resolve("cat.png"), ServingFixture.png(40, 32, 1));
  }

  /** The README's example, verbatim apart from the paths. */
  @Test
  void readmeExample_servingRootAndImageFile_printsBestLabel() throws IOException {
    Path modelDir = root;
    Path image = tmp.resolve("cat.png");
    // README example start
    try (TokenLearnerPredictor predictor = TokenLearnerPredictor.load(modelDir)) {
      Predictions out = predictor.predictEncoded(List.of(Files.readAllBytes(image)));
      for (Predictions.Scored s : out.topK(0, 3)) {
        System.out.printf("%s %.3f%n", s.label(), s.probability());
      }
      // README example end
      List<Predictions.Scored> top = out.topK(0, 3);
      assertEquals(3, top.size());
      assertTrue(ServingFixture.LABELS.contains(top.get(0).label()));
      assertTrue(top.get(0).probability() >= top.get(1).probability());
      assertTrue(top.get(1).probability() >= top.get(2).probability());
    }
  }

  @Test
  void tokenMaps_fixtureInput_equalScenicModuleWeights() throws IOException {
    Path set = Fixtures.set("tiny_v11");
    HostArray expected = Npy.read(set.resolve("expected_token_maps.npy"));
    try (TokenLearnerPredictor predictor = TokenLearnerPredictor.load(root)) {
      assertTrue(predictor.hasTokenMaps());
      HostArray maps = predictor.tokenMaps(Npy.read(set.resolve("input.npy")));
      assertArrayEquals(expected.shape(), maps.shape());
      assertTrue(expected.maxAbsDiff(maps) <= 1e-5, "max abs diff " + expected.maxAbsDiff(maps));
    }
  }

  @Test
  void predictEncoded_sixteenThreadsOnOneSession_allEqualSingleThreadedResult() throws Exception {
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      images.add(ServingFixture.png(20 + i, 30 - i, 100 + i));
    }
    try (TokenLearnerPredictor p = TokenLearnerPredictor.load(root, 2)) {
      float[] expected = p.predictEncoded(images).logits().data();
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<float[]>> results = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          results.add(pool.submit(() -> p.predictEncoded(images).logits().data()));
        }
        for (Future<float[]> f : results) {
          assertArrayEquals(expected, f.get(60, TimeUnit.SECONDS));
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void predictEncoded_corruptImage_throwsIllegalArgument() throws IOException {
    try (TokenLearnerPredictor p = TokenLearnerPredictor.load(root)) {
      assertThrows(
          IllegalArgumentException.class, () -> p.predictEncoded(List.of(new byte[] {1, 2, 3})));
    }
  }

  @Test
  void fromLogits_softmaxAndSigmoid_matchClosedForms() {
    HostArray logits = new HostArray(new long[] {1, 3}, new float[] {0f, (float) Math.log(2), 0f});
    Predictions soft = Predictions.fromLogits(logits, false, List.of());
    assertArrayEquals(new float[] {0.25f, 0.5f, 0.25f}, soft.probabilities().data(), 1e-6f);
    assertEquals(
        List.of("1", "0", "2"), soft.topK(0, 5).stream().map(Predictions.Scored::label).toList());
    Predictions sig = Predictions.fromLogits(logits, true, List.of("a", "b", "c"));
    assertArrayEquals(new float[] {0.5f, 2f / 3, 0.5f}, sig.probabilities().data(), 1e-6f);
    assertEquals("b", sig.topK(0, 1).get(0).label());
  }
}
