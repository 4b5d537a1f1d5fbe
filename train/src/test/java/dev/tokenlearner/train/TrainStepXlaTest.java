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

class TrainStepXlaTest {

  @Test
  void run_xlaAgainstPlainGraph_sameLossesAndWeightsAfterTwoSteps() throws Exception {
    // Gradient clipping and Adam as in Scenic's recipe. Dropout stays off: XLA's CPU stateless
    // random generator is not TensorFlow's CPU kernel, so masks differ (both depend only on the
    // seed and step).
    ExperimentConfig cfg =
        TestConfigs.tiny("max_grad_norm: 0.5", "dataset_configs: {num_train_examples: 32}");
    ImageDataset ds = Datasets.open(cfg, Optional.empty());
    TrainOrder order = new TrainOrder(cfg.train().rngSeed(), 16, ds.numTrain());
    try (TrainStep plain =
            TrainStep.builder(cfg)
                .sessionConfig(ConfigProto.getDefaultInstance())
                .xla(false)
                .build();
        TrainStep xla =
            TrainStep.builder(cfg)
                .sessionConfig(ConfigProto.getDefaultInstance())
                .xla(true)
                .build()) {
      plain.initialize(7, cfg.train().initHeadBias());
      xla.initialize(7, cfg.train().initHeadBias());
      for (int s = 0; s < 2; s++) {
        StepResult a = plain.run(BatchProducer.build(ds, order, 16, s));
        StepResult b = xla.run(BatchProducer.build(ds, order, 16, s));
        assertEquals(a.loss(), b.loss(), 1e-4 * Math.max(1, Math.abs(a.loss())), "loss @" + s);
        assertEquals(a.correct(), b.correct(), "correct @" + s);
        assertEquals(a.gradNorm(), b.gradNorm(), 1e-4 * Math.max(1, a.gradNorm()), "norm @" + s);
        assertEquals(a.learningRate(), b.learningRate(), "lr @" + s);
      }
      assertEquals(2, xla.globalStep());
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

  @Test
  void run_updateInsideXla_equalsPlainGraphAndGradientsOnlyXlaOverFourSteps() throws Exception {
    // The recipe of configs/token_learner_*16.yaml at toy size: AdamW (weight decay 0.3),
    // clipping by global norm, the compound schedule with warm-up and linear decay, the sigmoid
    // loss. STEP compiles the AdamW math too; the weights and both slots must follow the plain
    // graph's.
    ExperimentConfig cfg =
        TestConfigs.tiny(
            "max_grad_norm: 0.5",
            "optimizer_configs: {beta1: 0.9, beta2: 0.999, weight_decay: 0.3}",
            "init_head_bias: -10.0",
            "lr_configs: {factors: constant*linear_warmup*linear_decay, total_steps: 8,"
                + " end_learning_rate: 1.0e-5}",
            "dataset_configs: {num_train_examples: 64}");
    ImageDataset ds = Datasets.open(cfg, Optional.empty());
    TrainOrder order = new TrainOrder(cfg.train().rngSeed(), 16, ds.numTrain());
    TrainStep.XlaScope[] scopes = TrainStep.XlaScope.values();
    TrainStep[] steps = new TrainStep[scopes.length];
    try {
      for (int i = 0; i < scopes.length; i++) {
        steps[i] =
            TrainStep.builder(cfg)
                .sessionConfig(ConfigProto.getDefaultInstance())
                .xla(scopes[i])
                .build();
        steps[i].initialize(11, cfg.train().initHeadBias());
      }
      float[] losses = new float[4];
      for (int s = 0; s < 4; s++) {
        StepResult a = steps[0].run(BatchProducer.build(ds, order, 16, s));
        losses[s] = a.loss();
        for (int i = 1; i < scopes.length; i++) {
          StepResult b = steps[i].run(BatchProducer.build(ds, order, 16, s));
          String at = scopes[i] + " @" + s;
          assertEquals(a.loss(), b.loss(), 1e-5 * Math.max(1, Math.abs(a.loss())), "loss " + at);
          assertEquals(a.correct(), b.correct(), "correct " + at);
          assertEquals(a.gradNorm(), b.gradNorm(), 1e-4 * Math.max(1, a.gradNorm()), "norm " + at);
          assertEquals(a.learningRate(), b.learningRate(), 1e-9, "lr " + at);
        }
      }
      // The model learns (real values, not a constant): the loss moves over the four steps.
      assertTrue(
          Math.abs(losses[3] - losses[0]) > 1e-3, "losses " + java.util.Arrays.toString(losses));
      Map<String, HostArray> plain = stateOf(steps[0]);
      for (int i = 1; i < scopes.length; i++) {
        assertEquals(4, steps[i].globalStep());
        Map<String, HostArray> other = stateOf(steps[i]);
        assertEquals(plain.keySet(), other.keySet());
        double worst = 0;
        for (Map.Entry<String, HostArray> e : plain.entrySet()) {
          float[] x = e.getValue().data();
          float[] y = other.get(e.getKey()).data();
          for (int k = 0; k < x.length; k++) {
            worst = Math.max(worst, Math.abs(x[k] - y[k]));
          }
        }
        assertTrue(worst < 1e-5, scopes[i] + ": largest weight or slot difference " + worst);
      }
    } finally {
      for (TrainStep s : steps) {
        if (s != null) {
          s.close();
        }
      }
    }
  }

  /** Parameters and optimizer slots (mu, nu) by name. */
  private static Map<String, HostArray> stateOf(TrainStep step) {
    Map<String, HostArray> all = new java.util.TreeMap<>();
    step.params().forEach((k, v) -> all.put("params/" + k, v));
    step.slotValues().forEach((k, v) -> all.put("opt_state/" + k, v));
    return all;
  }
}
