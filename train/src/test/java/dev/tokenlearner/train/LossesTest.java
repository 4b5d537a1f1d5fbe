package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenlearner.config.ModelName;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

class LossesTest {

  private static final float[][] LOGITS = {{2f, -1f, 0.5f}, {-0.5f, 0f, 3f}};
  private static final int[] LABELS = {0, 1};

  private static double graphLoss(ModelName model, OptionalDouble smoothing) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var loss = Losses.mean(tf, model, tf.constant(LOGITS), tf.constant(LABELS), 3, smoothing);
      try (Result r = s.runner().fetch(loss).run()) {
        return ((TFloat32) r.get(0)).getFloat();
      }
    }
  }

  /** Scenic's smoothed one-hot target. */
  private static double target(int b, int c, double ls) {
    return (c == LABELS[b] ? 1 : 0) * (1 - ls) + ls / 3;
  }

  @Test
  void mean_softmaxWithLabelSmoothing_matchesHandComputedCrossEntropy() {
    double ls = 0.1;
    double total = 0;
    for (int b = 0; b < 2; b++) {
      double lse = 0;
      for (float z : LOGITS[b]) {
        lse += Math.exp(z);
      }
      lse = Math.log(lse);
      for (int c = 0; c < 3; c++) {
        total -= target(b, c, ls) * (LOGITS[b][c] - lse);
      }
    }
    assertEquals(total / 2, graphLoss(ModelName.CLASSIFICATION, OptionalDouble.of(ls)), 1e-6);
  }

  @Test
  void mean_softmaxWithoutSmoothing_equalsSmoothingZero() {
    assertEquals(
        graphLoss(ModelName.CLASSIFICATION, OptionalDouble.of(0)),
        graphLoss(ModelName.CLASSIFICATION, OptionalDouble.empty()),
        1e-6);
  }

  @Test
  void mean_multilabelSigmoid_sumsClassesAndAveragesExamples() {
    double ls = 0.2;
    double total = 0;
    for (int b = 0; b < 2; b++) {
      for (int c = 0; c < 3; c++) {
        double z = LOGITS[b][c];
        double p = 1 / (1 + Math.exp(-z));
        double t = target(b, c, ls);
        total -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      }
    }
    assertEquals(
        total / 2, graphLoss(ModelName.MULTILABEL_CLASSIFICATION, OptionalDouble.of(ls)), 1e-5);
  }
}
