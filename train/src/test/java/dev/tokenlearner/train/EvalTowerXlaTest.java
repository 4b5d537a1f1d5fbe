package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TrainOrder;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.ConfigProto;

class EvalTowerXlaTest {

  @Test
  void evaluate_xlaStep_sameLossCorrectAndLogitsAsPlainTower_forTwoBatchSizes() throws Exception {
    ExperimentConfig plainCfg = TestConfigs.tiny("dataset_configs: {num_train_examples: 32}");
    ExperimentConfig jitCfg = plainCfg;
    ImageDataset ds = Datasets.open(plainCfg, Optional.empty());
    try (TrainStep plain =
            TrainStep.builder(plainCfg)
                .sessionConfig(ConfigProto.getDefaultInstance())
                .xla(false)
                .build();
        TrainStep xla =
            TrainStep.builder(jitCfg)
                .sessionConfig(ConfigProto.getDefaultInstance())
                .xla(true)
                .build()) {
      plain.initialize(7, plainCfg.train().initHeadBias());
      xla.initialize(7, jitCfg.train().initHeadBias());
      for (int size : new int[] {16, 5}) {
        TrainOrder order = new TrainOrder(3, size, ds.numTrain());
        Batch batch = BatchProducer.build(ds, order, size, 0);
        double[] a = plain.evaluate(batch);
        double[] b = xla.evaluate(batch);
        assertEquals(a[0], b[0], 1e-4 * Math.max(1, Math.abs(a[0])), "loss sum, batch " + size);
        assertEquals(a[1], b[1], "correct, batch " + size);
        float[][] la = plain.evalLogits(batch);
        float[][] lb = xla.evalLogits(batch);
        assertEquals(size, lb.length);
        for (int i = 0; i < size; i++) {
          for (int k = 0; k < la[i].length; k++) {
            assertEquals(la[i][k], lb[i][k], 1e-4, "logit " + i + "," + k);
          }
        }
      }
      assertNotNull(xla.graph().operation("eval_xla"));
      assertNull(plain.graph().operation("eval_xla"));
    }
  }
}
