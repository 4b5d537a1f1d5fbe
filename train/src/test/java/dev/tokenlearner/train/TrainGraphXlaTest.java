package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TrainOrder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.ConfigProto;

class TrainGraphXlaTest {

  @Test
  void run_xlaAgainstPlainGraph_sameLossesAndWeightsAfterTwoSteps() throws Exception {
    // Gradient clipping and Adam as in Scenic's recipe. Dropout stays off: XLA's CPU stateless
    // random generator is not TensorFlow's CPU kernel, so masks differ (both depend only on the
    // seed and step).
    ExperimentConfig cfg =
        TestConfigs.tiny("max_grad_norm: 0.5", "dataset_configs: {num_train_examples: 32}");
    ImageDataset ds = Datasets.open(cfg, Optional.empty());
    TrainOrder order = new TrainOrder(cfg.train().rngSeed(), 16, ds.numTrain());
    try (TrainGraph plain = new TrainGraph(cfg, ConfigProto.getDefaultInstance(), false);
        TrainGraph xla = new TrainGraph(cfg, ConfigProto.getDefaultInstance(), true)) {
      plain.initialize(7, cfg.train().initHeadBias());
      xla.initialize(7, cfg.train().initHeadBias());
      for (int s = 0; s < 2; s++) {
        StepResult a = plain.run(BatchProducer.build(ds, order, 16, s), 3);
        StepResult b = xla.run(BatchProducer.build(ds, order, 16, s), 3);
        assertEquals(a.loss(), b.loss(), 1e-4 * Math.max(1, Math.abs(a.loss())), "loss @" + s);
        assertEquals(a.correct(), b.correct(), "correct @" + s);
        assertEquals(a.gradNorm(), b.gradNorm(), 1e-4 * Math.max(1, a.gradNorm()), "norm @" + s);
        assertEquals(a.learningRate(), b.learningRate(), "lr @" + s);
      }
      assertEquals(2, xla.step());
      Map<String, HostArray> pa = plain.params();
      Map<String, HostArray> pb = xla.params();
      double worst = 0;
      for (Map.Entry<String, HostArray> e : pa.entrySet()) {
        float[] x = e.getValue().data();
        float[] y = pb.get(e.getKey()).data();
        for (int i = 0; i < x.length; i++) {
          worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
      }
      // Adam moves each weight by at most ~lr per step; rounding differences stay far below it.
      assertTrue(worst < 1e-5, "largest weight difference " + worst);
      assertTrue(xla.xla() && !plain.xla());
    }
  }
}
