package dev.tokenlearner.export.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.ImageInputs;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Single-image calls, best() and embed() on the tiny_v11 fixture with Scenic's weights. */
class PredictorSingleImageTest {

  @TempDir static Path tmp;
  private static TokenLearnerPredictor predictor;
  private static final List<Path> FILES = new ArrayList<>();

  @BeforeAll
  static void export() throws IOException {
    ServingFixture.export(tmp.resolve("model"));
    predictor = TokenLearnerPredictor.load(tmp.resolve("model"));
    for (int i = 0; i < 3; i++) {
      Path f = tmp.resolve("img" + i + ".png");
      Files.write(f, ServingFixture.png(24 + 5 * i, 30 - 3 * i, 40 + i));
      FILES.add(f);
    }
  }

  @AfterAll
  static void close() {
    predictor.close();
  }

  private static float[] row(HostArray a, int i) {
    int c = Math.toIntExact(a.shape()[1]);
    return Arrays.copyOfRange(a.data(), i * c, (i + 1) * c);
  }

  @Test
  void predictPathAndBytes_equalTheirRowOfABatch() throws IOException {
    Predictions batch = predictor.predictFiles(FILES);
    for (int i = 0; i < FILES.size(); i++) {
      Predictions one = predictor.predict(FILES.get(i));
      assertEquals(1, one.size());
      assertArrayEquals(row(batch.logits(), i), one.logits().data(), 1e-5f);
      assertArrayEquals(
          one.logits().data(), predictor.predict(Files.readAllBytes(FILES.get(i))).logits().data());
    }
  }

  @Test
  void predictBufferedImage_equalsTheFileItWasReadFrom() throws IOException {
    byte[] bytes = Files.readAllBytes(FILES.get(1));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
    assertArrayEquals(
        predictor.predict(bytes).logits().data(), predictor.predict(image).logits().data(), 1e-6f);
  }

  @Test
  void best_isTheHighestProbabilityWithItsLabel() throws IOException {
    Predictions one = predictor.predict(FILES.get(0));
    float[] p = one.probabilities().data();
    int argmax = 0;
    for (int j = 1; j < p.length; j++) {
      if (p[j] > p[argmax]) {
        argmax = j;
      }
    }
    Predictions.Scored best = one.best();
    assertEquals(argmax, best.index());
    assertEquals(ServingFixture.LABELS.get(argmax), best.label());
    assertEquals(p[argmax], best.probability());
    Predictions batch = predictor.predictFiles(FILES);
    assertThrows(IllegalStateException.class, batch::best);
    assertEquals(batch.topK(2, 1).get(0), batch.best(2));
  }

  /** The head is Dense(output_projection) on the representation: logits = embed · W + b. */
  @Test
  void embed_isWhatTheHeadSees_logitsEqualItsProjection() throws IOException {
    Map<String, HostArray> params = Checkpoints.read(Fixtures.checkpoint("tiny_v11")).params();
    HostArray kernel = params.get("output_projection/kernel");
    float[] bias = params.get("output_projection/bias").data();
    int r = Math.toIntExact(kernel.shape()[0]);
    int c = Math.toIntExact(kernel.shape()[1]);
    for (Path f : FILES) {
      HostArray features = predictor.embed(f);
      assertArrayEquals(new long[] {1, r}, features.shape());
      float[] expected = new float[c];
      for (int j = 0; j < c; j++) {
        double sum = bias[j];
        for (int k = 0; k < r; k++) {
          sum += (double) features.data()[k] * kernel.data()[k * c + j];
        }
        expected[j] = (float) sum;
      }
      assertArrayEquals(expected, predictor.predict(f).logits().data(), 1e-4f);
    }
  }

  @Test
  void embedOfFiles_equalsRepresentationSignatureOnTheBatch() throws IOException {
    HostArray batch =
        predictor.embed(
            ImageInputs.load(FILES, predictor.model().metadata().orElseThrow().preprocessing()));
    assertEquals(FILES.size(), batch.shape()[0]);
    for (int i = 0; i < FILES.size(); i++) {
      assertArrayEquals(row(batch, i), predictor.embed(FILES.get(i)).data(), 1e-5f);
      assertArrayEquals(
          predictor.embed(FILES.get(i)).data(),
          predictor.embed(Files.readAllBytes(FILES.get(i))).data());
    }
  }
}
