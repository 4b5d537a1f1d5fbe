package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Initializer;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TrainOrder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

class TrainGraphTest {

  @Test
  void run_smallEmbeddedSplit_lossGoesDown() throws Exception {
    // 32 examples in 2 batches: the model must fit them within a few dozen steps.
    ExperimentConfig cfg =
        TestConfigs.tiny("num_training_steps: 30", "dataset_configs: {num_train_examples: 32}");
    ImageDataset ds = Datasets.open(cfg, Optional.empty());
    TrainOrder order = new TrainOrder(cfg.train().rngSeed(), 16, ds.numTrain());
    try (TrainGraph g = new TrainGraph(cfg, ConfigProto.getDefaultInstance())) {
      g.initialize(cfg.train().rngSeed(), cfg.train().initHeadBias());
      double first = 0;
      double last = 0;
      for (int s = 0; s < 30; s++) {
        StepResult r = g.run(BatchProducer.build(ds, order, 16, s), 3);
        if (s < 4) {
          first += r.loss() / 4;
        }
        if (s >= 26) {
          last += r.loss() / 4;
        }
      }
      assertEquals(30, g.step());
      assertTrue(
          last < first * 0.7, "mean loss of the last 4 steps " + last + " vs first 4 " + first);
    }
  }

  @Test
  void gradients_everyParameter_nonNullAndNonZero() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny();
    ImageDataset ds = Datasets.open(cfg, Optional.empty());
    Batch b = BatchProducer.build(ds, new TrainOrder(1, 16, ds.numTrain()), 16, 0);
    assertEveryGradientFlows(cfg, b.shape(), b.images(), b.labels());
  }

  @Test
  void gradients_videoTubeletModel_everyParameterIncludingConv3dStemGetsOne() {
    // 3d_conv stem: its Conv3D gradient comes from CustomGradients.
    ExperimentConfig cfg =
        TestConfigs.tiny(
            "dataset_configs: {num_frames: 4}",
            "model: {tokenizer: {type: video, patches: {size: [4, 4, 2]}, num_tokens: 2, "
                + "temporal_encoding_config: {method: 3d_conv}}}");
    long[] shape = {3, 4, 16, 16, 3};
    float[] x = new float[3 * 4 * 16 * 16 * 3];
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    assertEveryGradientFlows(cfg, shape, x, new int[] {0, 3, 1});
  }

  /**
   * Runs every parameter's gradient on one batch and checks shape, finiteness and a non-zero norm.
   */
  private static void assertEveryGradientFlows(
      ExperimentConfig cfg, long[] shape, float[] images, int[] labels) {
    try (TrainGraph g = new TrainGraph(cfg, ConfigProto.getDefaultInstance())) {
      g.initialize(5, cfg.train().initHeadBias());
      // Scenic zero-initialises the head, which blocks every earlier gradient; use a random one.
      Parameter head = g.store().get("output_projection/kernel");
      float[] w = Initializer.normal(0.5).sample(head.shape(), new SplittableRandom(1));
      g.store().weights().assign(g.session(), Map.of(head.path(), new HostArray(head.shape(), w)));
      List<Parameter> params = g.store().parameters();
      List<Output<TFloat32>> grads = g.gradients();
      assertEquals(params.size(), grads.size());
      try (TFloat32 x = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(images, true, false));
          TInt32 y = TInt32.vectorOf(labels);
          TInt64 key = TInt64.vectorOf(1, 0)) {
        // One run for all gradients; identities keep the fetched names distinct.
        var runner =
            g.session().runner().feed(g.images(), x).feed(g.labels(), y).feed(g.rngKey(), key);
        var tf = org.tensorflow.op.Ops.create(g.session().graph()).withSubScope("test_fetch");
        grads.forEach(d -> runner.fetch(tf.identity(d)));
        try (Result r = runner.run()) {
          for (int i = 0; i < params.size(); i++) {
            String path = params.get(i).path();
            assertNotNull(grads.get(i), path);
            TFloat32 t = (TFloat32) r.get(i);
            assertEquals(Shape.of(params.get(i).shape()), t.shape(), path);
            float[] d = new float[(int) t.size()];
            t.copyTo(DataBuffers.of(d, false, false));
            double norm = 0;
            for (float v : d) {
              assertTrue(Float.isFinite(v), path);
              norm += v * v;
            }
            assertTrue(norm > 0, "zero gradient for " + path);
          }
        }
      }
    }
  }
}
