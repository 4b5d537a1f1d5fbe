package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.npy.Npz;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.MixupConfig;
import dev.tokenlearner.config.ModelName;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.train.data.Batch;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
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

/** Scenic's mixup in the training step, and uint8 batches normalised in the graph. */
class MixupTest {

  private static final ConfigProto SESSION = ConfigProto.getDefaultInstance();
  private static final int BATCH = 8;
  private static final int CLASSES = 4;
  private static final long[] SHAPE = {BATCH, 16, 16, 3};

  /** A uint8 batch with labels chosen so that some pairs (i, b-1-i) differ and some agree. */
  private static Batch pixelBatch(long step) {
    SplittableRandom r = new SplittableRandom(11 + step);
    byte[] px = new byte[BATCH * 16 * 16 * 3];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) r.nextInt(256);
    }
    int[] labels = {0, 1, 2, 3, 3, 0, 1, 0};
    return Batch.ofPixels(step, SHAPE.clone(), px, labels);
  }

  /** The pixels normalised on the host, in double precision. */
  private static float[] normalised(Batch b, Normalization n) {
    float[] x = new float[b.pixels().length];
    for (int i = 0; i < x.length; i++) {
      x[i] = n.apply(b.pixels()[i] & 0xff, i % 3);
    }
    return x;
  }

  /** Logits of an inference graph (no dropout in these configs) on the given weights. */
  private static float[][] logits(ExperimentConfig cfg, Map<String, HostArray> params, float[] x) {
    try (ModelGraph m = ModelGraph.build(cfg, Mode.INFERENCE, -1);
        Session s = new Session(m.graph(), SESSION)) {
      s.initialize();
      m.store().weights().load(s, params);
      try (TFloat32 in = TFloat32.tensorOf(Shape.of(SHAPE), DataBuffers.of(x, true, false));
          Result r = s.runner().feed(m.images(), in).fetch(m.outputs().logits()).run()) {
        TFloat32 z = (TFloat32) r.get(0);
        float[][] out = new float[BATCH][CLASSES];
        for (int i = 0; i < BATCH; i++) {
          for (int c = 0; c < CLASSES; c++) {
            out[i][c] = z.getFloat(i, c);
          }
        }
        return out;
      }
    }
  }

  private static double[] logSoftmax(float[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : z) {
      sum += Math.exp(v - max);
    }
    double[] out = new double[z.length];
    for (int c = 0; c < z.length; c++) {
      out[c] = z[c] - max - Math.log(sum);
    }
    return out;
  }

  private static int argMax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  private static int argMax(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return argMax(d);
  }

  @Test
  void run_withMixup_lossIsMixOfTheTwoOneHotLossesOnMixedImages() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("mixup: {alpha: 0.4}");
    Batch b = pixelBatch(5);
    float lam = Mixup.lambda(0.4, cfg.train().rngSeed(), 5);
    float[] x = normalised(b, cfg.normalization());
    int n = x.length / BATCH;
    float[] mixed = new float[x.length];
    for (int i = 0; i < BATCH; i++) {
      for (int k = 0; k < n; k++) {
        mixed[i * n + k] = lam * x[i * n + k] + (1 - lam) * x[(BATCH - 1 - i) * n + k];
      }
    }
    try (TrainStep step = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      step.initialize();
      Map<String, HostArray> before = step.params();
      // The batch's step (5) seeds the mixing weight; the loss is taken before the update.
      StepResult r = step.run(b);

      float[][] z = logits(cfg, before, mixed);
      double loss = 0;
      int correct = 0;
      int[] y = b.labels();
      for (int i = 0; i < BATCH; i++) {
        double[] ls = logSoftmax(z[i]);
        int j = BATCH - 1 - i;
        loss += -(lam * ls[y[i]] + (1 - lam) * ls[y[j]]);
        double[] target = new double[CLASSES];
        target[y[i]] += lam;
        target[y[j]] += 1 - lam;
        correct += argMax(z[i]) == argMax(target) ? 1 : 0;
      }
      loss /= BATCH;

      assertTrue(lam > 0 && lam < 1, "lambda " + lam);
      assertEquals(loss, r.loss(), 2e-5 * Math.abs(loss));
      assertEquals(correct, r.correct(), 0);
    }
  }

  @Test
  void run_withMixupAndLabelSmoothing_smoothsTheMixedLabels() throws Exception {
    double ls = 0.2;
    ExperimentConfig cfg = TestConfigs.tiny("mixup: {alpha: 1.0}", "label_smoothing: 0.2");
    Batch b = pixelBatch(0);
    float lam = Mixup.lambda(1.0, cfg.train().rngSeed(), 0);
    float[] x = normalised(b, cfg.normalization());
    int n = x.length / BATCH;
    float[] mixed = new float[x.length];
    for (int i = 0; i < BATCH; i++) {
      for (int k = 0; k < n; k++) {
        mixed[i * n + k] = lam * x[i * n + k] + (1 - lam) * x[(BATCH - 1 - i) * n + k];
      }
    }
    try (TrainStep step = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      step.initialize();
      Map<String, HostArray> before = step.params();
      StepResult r = step.run(b);

      float[][] z = logits(cfg, before, mixed);
      double loss = 0;
      for (int i = 0; i < BATCH; i++) {
        double[] logp = logSoftmax(z[i]);
        double[] t = new double[CLASSES];
        t[b.labels()[i]] += lam;
        t[b.labels()[BATCH - 1 - i]] += 1 - lam;
        for (int c = 0; c < CLASSES; c++) {
          loss -= (t[c] * (1 - ls) + ls / CLASSES) * logp[c];
        }
      }
      loss /= BATCH;

      assertEquals(loss, r.loss(), 2e-5 * Math.abs(loss));
    }
  }

  @Test
  void run_pixelBatch_equalsFloatBatchNormalisedOnHost() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny();
    Batch px = pixelBatch(0);
    Batch fl = new Batch(0, SHAPE.clone(), normalised(px, cfg.normalization()), px.labels());
    try (TrainStep a = TrainStep.builder(cfg).sessionConfig(SESSION).build();
        TrainStep f = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      a.initialize();
      f.initialize();
      StepResult ra = a.run(px);
      StepResult rf = f.run(fl);

      assertEquals(rf.loss(), ra.loss(), 1e-6 * Math.abs(rf.loss()));
      assertEquals(rf.gradNorm(), ra.gradNorm(), 1e-5 * rf.gradNorm());
      assertEquals(rf.correct(), ra.correct(), 0);
    }
  }

  @Test
  void build_alphaZero_sameGraphAndStepsAsWithoutMixup() throws Exception {
    ExperimentConfig plain = TestConfigs.tiny();
    ExperimentConfig zero = TestConfigs.tiny("mixup: {alpha: 0}");
    try (TrainStep a = TrainStep.builder(plain).sessionConfig(SESSION).build();
        TrainStep z = TrainStep.builder(zero).sessionConfig(SESSION).build()) {
      a.initialize();
      z.initialize();

      assertEquals(ModelGraph.countOps(a.graph()), ModelGraph.countOps(z.graph()));
      assertEquals(null, z.graph().operation(Mixup.LAMBDA));
      for (long s = 0; s < 2; s++) {
        assertEquals(a.run(pixelBatch(s)).loss(), z.run(pixelBatch(s)).loss(), 0f);
      }
      assertEquals(a.params(), z.params());
    }
  }

  @Test
  void run_withMixup_resumedFromSnapshotEqualsUninterrupted() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("mixup: {alpha: 0.2}");
    try (TrainStep whole = TrainStep.builder(cfg).sessionConfig(SESSION).build();
        TrainStep first = TrainStep.builder(cfg).sessionConfig(SESSION).build();
        TrainStep resumed = TrainStep.builder(cfg).sessionConfig(SESSION).build()) {
      whole.initialize();
      first.initialize();
      float[] wholeLoss = new float[4];
      for (long s = 0; s < 4; s++) {
        wholeLoss[(int) s] = whole.run(pixelBatch(s)).loss();
      }
      first.run(pixelBatch(0));
      first.run(pixelBatch(1));
      resumed.restore(first.snapshot());

      assertEquals(wholeLoss[2], resumed.run(pixelBatch(2)).loss(), 0f);
      assertEquals(wholeLoss[3], resumed.run(pixelBatch(3)).loss(), 0f);
      assertEquals(whole.params(), resumed.params());
    }
  }

  /**
   * Against Scenic's own {@code dataset_utils.mixup} and {@code model_utils} losses and metrics on
   * one batch ({@code src/test/python/make_mixup_fixture.py}), with Scenic's mixing weight fed.
   */
  @Test
  void mixup_scenicReferenceBatch_sameMixedBatchLossesAndAccuracy() throws Exception {
    Map<String, Npz.Entry> ref =
        Npz.read(Path.of(MixupTest.class.getResource("/mixup/scenic_mixup.npz").toURI()));
    float[] images = ref.get("images").array().data();
    long[] shape = ref.get("images").array().shape();
    float[] labelValues = ref.get("labels").array().data();
    int[] labels = new int[labelValues.length];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (int) labelValues[i];
    }
    float[] logits = ref.get("logits").array().data();
    int classes = (int) ref.get("logits").array().shape()[1];
    float[][] z = new float[labels.length][classes];
    for (int i = 0; i < labels.length; i++) {
      System.arraycopy(logits, i * classes, z[i], 0, classes);
    }
    double smoothing = ref.get("label_smoothing").array().data()[0];
    Mixup mixup = new Mixup(new MixupConfig(ref.get("alpha").array().data()[0], true));
    try (Graph g = new Graph();
        Session s = new Session(g, SESSION)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
      Operand<TFloat32> mixedX = mixup.mixImages(tf, x);
      Operand<TFloat32> logitsT = tf.constant(z);
      Operand<TFloat32> mixedY =
          mixup.mixTargets(tf, Losses.oneHot(tf, tf.constant(labels), classes));
      Operand<TFloat32> smoothed = Losses.smooth(tf, mixedY, classes, OptionalDouble.of(smoothing));
      List<Operand<TFloat32>> fetches =
          List.of(
              mixedX,
              mixedY,
              Losses.mean(tf, ModelName.CLASSIFICATION, logitsT, smoothed),
              Losses.mean(tf, ModelName.MULTILABEL_CLASSIFICATION, logitsT, smoothed),
              Losses.correct(tf, ModelName.CLASSIFICATION, logitsT, mixedY),
              Losses.correct(tf, ModelName.MULTILABEL_CLASSIFICATION, logitsT, mixedY));
      try (TFloat32 in = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(images, true, false));
          TFloat32 lam = TFloat32.scalarOf(ref.get("lambda").array().data()[0])) {
        Session.Runner r = s.runner().feed(x, in).feed(mixup.lambda(), lam);
        fetches.forEach(r::fetch);
        try (Result out = r.run()) {
          assertClose(ref.get("mixed_images").array().data(), out.get(0), 1e-6);
          assertClose(ref.get("mixed_labels").array().data(), out.get(1), 1e-6);
          assertClose(ref.get("softmax_loss").array().data(), out.get(2), 1e-5);
          assertClose(ref.get("sigmoid_loss").array().data(), out.get(3), 1e-5);
          assertClose(ref.get("correct").array().data(), out.get(4), 0);
          assertClose(ref.get("prec1").array().data(), out.get(5), 1e-6);
        }
      }
    }
    // The fixture exercises both label orders of the argmax: lambda away from 1/2.
    float lam = ref.get("lambda").array().data()[0];
    assertTrue(Math.abs(lam - 0.5) > 0.01, "lambda " + lam);
  }

  private static void assertClose(float[] want, org.tensorflow.Tensor got, double rtol) {
    float[] g = new float[want.length];
    ((TFloat32) got).copyTo(DataBuffers.of(g, false, false));
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], g[i], rtol * Math.max(1, Math.abs(want[i])), "element " + i);
    }
  }

  @Test
  void lambda_sameSeedAndStep_sameValueOtherStepOrSeedDiffers() {
    float a = Mixup.lambda(0.3, 7, 12);

    assertEquals(a, Mixup.lambda(0.3, 7, 12), 0f);
    assertNotEquals(a, Mixup.lambda(0.3, 7, 13));
    assertNotEquals(a, Mixup.lambda(0.3, 8, 12));
  }

  @Test
  void lambda_perReplicaOrBindToNull_replicaSeedUsedOrIgnored() {
    Mixup perReplica = new Mixup(new MixupConfig(0.3, true));
    Mixup shared = new Mixup(new MixupConfig(0.3, false));
    long seed = 3;
    long otherReplica = seed + 1; // any other replica seed

    assertEquals(Mixup.lambda(0.3, seed, 4), perReplica.lambda(seed, seed, 4), 0f);
    assertNotEquals(perReplica.lambda(seed, seed, 4), perReplica.lambda(seed, otherReplica, 4));
    assertEquals(shared.lambda(seed, seed, 4), shared.lambda(seed, otherReplica, 4), 0f);
  }

  /** Kolmogorov-Smirnov distance of Beta(alpha, alpha) draws over steps from a CDF. */
  private static double ksDistance(double alpha, java.util.function.DoubleUnaryOperator cdf) {
    int n = 4000;
    double[] v = new double[n];
    for (int s = 0; s < n; s++) {
      v[s] = Mixup.lambda(alpha, 1, s);
      assertTrue(v[s] >= 0 && v[s] <= 1, "lambda " + v[s]);
    }
    Arrays.sort(v);
    double d = 0;
    for (int i = 0; i < n; i++) {
      double f = cdf.applyAsDouble(v[i]);
      d = Math.max(d, Math.max(Math.abs(f - i / (double) n), Math.abs(f - (i + 1) / (double) n)));
    }
    return d;
  }

  @Test
  void lambda_alphaOne_isUniformOverSteps() {
    // KS critical value at 1 % for n = 4000: 1.63 / sqrt(n) = 0.0258.
    assertTrue(ksDistance(1.0, x -> x) < 0.0258);
  }

  @Test
  void lambda_alphaHalf_followsTheArcsineLaw() {
    // Beta(1/2, 1/2) has CDF (2 / pi) asin(sqrt(x)).
    assertTrue(ksDistance(0.5, x -> 2 / Math.PI * Math.asin(Math.sqrt(x))) < 0.0258);
  }

  @Test
  void lambda_alphaTwo_matchesBetaTwoTwo() {
    // Beta(2, 2) has CDF 3x^2 - 2x^3; this exercises the alpha >= 1 branch without the boost.
    assertTrue(ksDistance(2.0, x -> 3 * x * x - 2 * x * x * x) < 0.0258);
  }
}
