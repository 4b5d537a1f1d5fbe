package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.ModelOutputs;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.PathScope;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TrainOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The public {@link TrainStep}: aggregator seam, evaluation on shared variables, snapshots. */
class TrainStepTest {

  private static final ConfigProto SESSION = ConfigProto.getDefaultInstance();

  private static Batch batch(ExperimentConfig cfg, long step) throws Exception {
    ImageDataset ds = Datasets.open(cfg, Optional.empty());
    return BatchProducer.build(
        ds, new TrainOrder(cfg.train().rngSeed(), 16, ds.numTrain()), 16, step);
  }

  @Test
  void gradientAggregator_doublesGradients_reportsDoubleNorm() throws Exception {
    // No clipping matters for the reported norm: it is taken before clipping.
    ExperimentConfig cfg = TestConfigs.tiny();
    Batch b = batch(cfg, 0);
    float plain;
    float doubled;
    try (TrainStep step = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      step.initialize();
      plain = step.run(b).gradNorm();
    }
    try (TrainStep step =
        TrainStep.builder(cfg)
            .sessionConfig(SESSION)
            .gradientAggregator(
                grads -> {
                  Ops tf = PathScope.create((Graph) grads.get(0).env());
                  List<Operand<TFloat32>> out = new ArrayList<>();
                  grads.forEach(g -> out.add(tf.math.mul(g, tf.constant(2f))));
                  return out;
                })
            .build()) {
      step.initialize();
      doubled = step.run(b).gradNorm();
    }

    assertTrue(plain > 0, "norm " + plain);
    assertEquals(2 * plain, doubled, 1e-5 * plain);
  }

  @Test
  void gradientAggregator_wrongCount_throwsNamingCounts() {
    ExperimentConfig cfg = TestConfigs.tiny();
    var builder =
        TrainStep.builder(cfg).sessionConfig(SESSION).gradientAggregator(g -> g.subList(0, 1));

    IllegalStateException e = assertThrows(IllegalStateException.class, builder::build);

    assertTrue(e.getMessage().contains("returned 1 gradients"), e.getMessage());
  }

  @Test
  void evaluate_afterSteps_equalsSeparateGraphWithCopiedWeights() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny();
    Batch held = batch(cfg, 7);
    double[] shared;
    try (TrainStep step = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      step.initialize();
      for (long s = 0; s < 3; s++) {
        step.run(batch(cfg, s));
      }
      shared = step.evaluate(held);
      double[] separate = separateEvaluation(cfg, step, held);

      assertEquals(separate[0], shared[0], 1e-5 * Math.abs(separate[0]));
      assertEquals(separate[1], shared[1], 0);
    }
  }

  /** The old way: an inference graph of its own, weights copied through the host. */
  private static double[] separateEvaluation(ExperimentConfig cfg, TrainStep step, Batch b) {
    try (ModelGraph m = ModelGraph.build(cfg, Mode.INFERENCE, -1);
        Session s = new Session(m.graph(), SESSION)) {
      Ops tf = m.tf();
      Placeholder<TInt32> labels =
          tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      ModelOutputs out = m.outputs();
      Operand<TFloat32> mean =
          Losses.mean(
              tf, cfg.modelName(), out.logits(), labels, cfg.numClasses(), OptionalDouble.empty());
      Operand<TFloat32> correct = Losses.correct(tf, out.logits(), labels);
      s.initialize();
      m.store().weights().load(s, step.params());
      try (TFloat32 x =
              TFloat32.tensorOf(Shape.of(b.shape()), DataBuffers.of(b.images(), true, false));
          TInt32 y = TInt32.vectorOf(b.labels());
          Result r =
              s.runner().feed(m.images(), x).feed(labels, y).fetch(mean).fetch(correct).run()) {
        return new double[] {
          ((TFloat32) r.get(0)).getFloat() * b.size(), ((TFloat32) r.get(1)).getFloat()
        };
      }
    }
  }

  @Test
  void snapshot_restoredIntoFreshStep_sameStepParamsAndNextLoss() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny();
    try (TrainStep a = TrainStep.builder(cfg).sessionConfig(SESSION).build();
        TrainStep b = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      a.initialize();
      a.run(batch(cfg, 0));
      a.run(batch(cfg, 1));

      b.restore(a.snapshot());

      assertEquals(2, b.globalStep());
      assertEquals(a.params(), b.params());
      assertEquals(a.run(batch(cfg, 2)).loss(), b.run(batch(cfg, 2)).loss(), 0f);
    }
  }

  /**
   * Two replicas that see the same shard: its all-reduce is the identity, so the step must equal
   * one process's, with the correct count and examples of the two-shard global batch.
   */
  private static final class Twins extends LocalReplication {
    final List<Integer> reducedCounts = new ArrayList<>();
    final List<Long> reducedFloats = new ArrayList<>();

    Twins() {
      super(2, "twin replicas");
    }

    @Override
    public List<Operand<TFloat32>> allReduceMean(Ops tf, List<Operand<TFloat32>> values) {
      reducedCounts.add(values.size());
      reducedFloats.add(values.stream().mapToLong(v -> v.shape().size()).sum());
      return values;
    }
  }

  @Test
  void replication_twoReplicas_allReducesGradientsLossAndCorrect() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny();
    Batch b = batch(cfg, 0);
    StepResult plain;
    try (TrainStep step = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      step.initialize();
      plain = step.run(b);
    }
    Twins twins = new Twins();
    StepResult replicated;
    int params;
    try (TrainStep step =
        TrainStep.builder(cfg).sessionConfig(SESSION).xla(false).replication(twins).build()) {
      params = step.parameters().parameters().size();
      step.initialize();
      replicated = step.run(b);
    }

    // With the default 25 MiB bucket: one all-reduce of every gradient plus loss and correct
    // count, one of the start step.
    assertEquals(List.of(params + 2, 1), twins.reducedCounts);
    assertEquals(plain.loss(), replicated.loss(), 0f);
    assertEquals(plain.gradNorm(), replicated.gradNorm(), 0f);
    assertEquals(2 * plain.correct(), replicated.correct(), 0f);
    assertEquals(2 * plain.examples(), replicated.examples());
    assertEquals(plain.accuracy(), replicated.accuracy(), 1e-6f);
  }

  @Test
  void replication_smallBuckets_allReducesInFullBucketsAndEqualsOneProcess() throws Exception {
    long bucketBytes = 8 << 10;
    ExperimentConfig cfg = TestConfigs.tiny("allreduce_bucket_mb: " + bucketBytes / 1048576.0);
    Batch b = batch(cfg, 0);
    StepResult plain;
    try (TrainStep step = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      step.initialize();
      plain = step.run(b);
    }
    Twins twins = new Twins();
    StepResult replicated;
    long floats = 2; // loss and correct count
    try (TrainStep step =
        TrainStep.builder(cfg).sessionConfig(SESSION).xla(false).replication(twins).build()) {
      for (var p : step.parameters().parameters()) {
        floats += p.value().shape().size();
      }
      step.initialize();
      replicated = step.run(b);
    }

    // Every bucket but the last is full; the last all-reduce is the start step's.
    long bucketFloats = bucketBytes / Float.BYTES;
    int buckets = (int) ((floats + bucketFloats - 1) / bucketFloats);
    assertEquals(buckets + 1, twins.reducedFloats.size(), twins.reducedFloats.toString());
    for (int i = 0; i < buckets - 1; i++) {
      assertEquals(bucketFloats, twins.reducedFloats.get(i));
    }
    assertEquals(floats - (buckets - 1) * bucketFloats, twins.reducedFloats.get(buckets - 1));
    assertEquals(plain.loss(), replicated.loss(), 0f);
    assertEquals(plain.gradNorm(), replicated.gradNorm(), 0f);
    assertEquals(2 * plain.correct(), replicated.correct(), 0f);
  }

  @Test
  void build_xlaWithSeveralReplicas_throwsNamingJit() {
    ExperimentConfig cfg = TestConfigs.tiny();
    var builder = TrainStep.builder(cfg).sessionConfig(SESSION).xla(true).replication(new Twins());

    InvalidInputException e = assertThrows(InvalidInputException.class, builder::build);
    assertTrue(
        e.getMessage().contains("jit (XLA) is not supported with several replicas"),
        e.getMessage());
  }
}
