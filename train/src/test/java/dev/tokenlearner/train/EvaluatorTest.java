package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.VideoDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

  /**
   * Per-view logits of three held-out videos, three views each. Video 0 (label 0) is the case that
   * tells the averaging apart: two views say class 1 mildly, one says class 0 firmly; the mean
   * logits (0.7, 0.667, 0) pick class 0, while averaged softmax probabilities (0.409, 0.417, 0.174)
   * and a vote of the views would pick class 1.
   */
  private static final float[][][] LOGITS = {
    {{0, 1, 0}, {0, 1, 0}, {2.1f, 0, 0}},
    {{0, 0, 3}, {0, 2, 0}, {0, 2, 0}},
    {{1, 0, 0}, {1, 0, 0}, {0, 0, 1.5f}},
  };

  private static final int[] LABELS = {0, 1, 2};

  /** Held-out videos whose one-float "clip" encodes (video, view); no training split. */
  private static final class FakeVideos implements VideoDataset {
    final List<String> reads = new ArrayList<>();

    @Override
    public int numViews() {
      return 3;
    }

    @Override
    public int evalView(long index, int view, float[] dst, int offset) {
      reads.add(index + ":" + view);
      dst[offset] = index * 10 + view;
      return LABELS[(int) index];
    }

    @Override
    public String describe() {
      return "fake";
    }

    @Override
    public int numClasses() {
      return 3;
    }

    @Override
    public int[] exampleShape() {
      return new int[] {1, 1, 1, 1};
    }

    @Override
    public long numTrain() {
      return 0;
    }

    @Override
    public long numEval() {
      return LOGITS.length;
    }

    @Override
    public int train(long index, SplittableRandom random, float[] dst, int offset) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int eval(long index, float[] dst, int offset) {
      return evalView(index, 1, dst, offset);
    }
  }

  /** The "model": looks the logits up by the (video, view) its input encodes. */
  private static float[][] model(Batch b) {
    float[][] out = new float[b.size()][];
    for (int i = 0; i < b.size(); i++) {
      int code = Math.round(b.images()[i]);
      out[i] = LOGITS[code / 10][code % 10];
    }
    return out;
  }

  /** Softmax cross-entropy written out for three classes. */
  private static double crossEntropy(double a, double b, double c, double label) {
    return Math.log(Math.exp(a) + Math.exp(b) + Math.exp(c)) - label;
  }

  @Test
  void evaluateViews_threeViewsPerVideo_averagesLogitsAsTheHandComputation() throws Exception {
    // Mean logits by hand: (0.7, 2/3, 0) -> 0 (right); (0, 4/3, 1) -> 1 (right);
    // (2/3, 0, 1/2) -> 0 (wrong, label 2).
    double loss =
        (crossEntropy(0.7, 2 / 3.0, 0, 0.7)
                + crossEntropy(0, 4 / 3.0, 1, 4 / 3.0)
                + crossEntropy(2 / 3.0, 0, 0.5, 0.5))
            / 3;
    // Batches of 1, 2 (views of one video split over batches), 9 (everything at once).
    for (int batch : new int[] {1, 2, 9}) {
      FakeVideos videos = new FakeVideos();
      Evaluator.MultiViewEvaluation e =
          Evaluator.evaluateViews(videos, batch, EvaluatorTest::model);
      assertEquals(2 / 3.0, e.accuracy(), 1e-12, "batch " + batch);
      assertEquals(loss, e.loss(), 1e-6, "batch " + batch);
      assertEquals(3, e.videos());
      assertEquals(3, e.views());
      assertFalse(e.top5Accuracy().isPresent(), "3 classes: no top-5, as Scenic");
      assertEquals(9, videos.reads.size(), "each view read once: " + videos.reads);
    }
  }

  @Test
  void score_sevenClasses_top1AndTop5ByRank() {
    double[] logits = {0.5, 3, 2, 1, 4, 5, 6};
    // Label 1 (3.0) has 3 classes above it: top-5, not top-1.
    assertArrayEquals(new double[] {0, 1}, slice(Evaluator.score(logits, 1)));
    // Label 0 (0.5) has 6 above: neither.
    assertArrayEquals(new double[] {0, 0}, slice(Evaluator.score(logits, 0)));
    // Label 6 (6.0) is the largest: both.
    assertArrayEquals(new double[] {1, 1}, slice(Evaluator.score(logits, 6)));
    double z = 0;
    for (double l : logits) {
      z += Math.exp(l);
    }
    assertEquals(Math.log(z) - 3, Evaluator.score(logits, 1)[0], 1e-12);
    assertTrue(Evaluator.score(logits, 6)[0] < Evaluator.score(logits, 1)[0]);
  }

  private static double[] slice(double[] s) {
    return new double[] {s[1], s[2]};
  }
}
