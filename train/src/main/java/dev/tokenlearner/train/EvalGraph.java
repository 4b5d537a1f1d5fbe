package dev.tokenlearner.train;

import dev.tokenlearner.graph.ModelOutputs;
import dev.tokenlearner.graph.TokenLearnerViT;
import dev.tokenlearner.graph.config.ExperimentConfig;
import dev.tokenlearner.ops.HostArray;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.ops.PathScope;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.ImageDataset;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
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

/**
 * The inference graph used for held-out evaluation: the same model in inference mode (no dropout),
 * weights copied in from the training graph by path before each evaluation.
 *
 * <p>Reports top-1 accuracy and the mean loss (Scenic's evaluation loss: the model's loss without
 * label smoothing).
 */
final class EvalGraph implements AutoCloseable {

  /** Held-out batches are kept in memory when they take at most this many floats. */
  static final long CACHE_FLOATS = 64L << 20;

  /** Result of one evaluation: mean loss, top-1 accuracy and the number of examples. */
  record Evaluation(double loss, double accuracy, long examples) {}

  private final Graph graph;
  private final Session session;
  private final ParameterStore store;
  private final Placeholder<TFloat32> images;
  private final Placeholder<TInt32> labels;
  private final Operand<TFloat32> lossSum;
  private final Operand<TFloat32> correct;
  private final ImageDataset dataset;
  private final int batchSize;
  private List<Batch> cache;

  EvalGraph(ExperimentConfig cfg, ImageDataset dataset, ConfigProto sessionConfig) {
    this.dataset = dataset;
    this.batchSize = cfg.train().resolvedEvalBatchSize();
    graph = new Graph();
    try {
      Ops tf = PathScope.create(graph);
      images =
          tf.withName("images")
              .placeholder(TFloat32.class, Placeholder.shape(Shape.of(cfg.input().shape(-1))));
      labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      store = new ParameterStore(tf);
      ModelOutputs out =
          TokenLearnerViT.build(
              ModuleScope.root(store), cfg.model(), cfg.numClasses(), images, Mode.INFERENCE);
      Ops e = tf.withSubScope("eval");
      Operand<TFloat32> mean =
          Losses.mean(
              e, cfg.modelName(), out.logits(), labels, cfg.numClasses(), OptionalDouble.empty());
      Operand<TFloat32> n = e.dtypes.cast(e.size(labels), TFloat32.class);
      lossSum = e.withName("loss_sum").math.mul(mean, n);
      correct = e.withName("correct").identity(Losses.correct(e, out.logits(), labels));
      session = new Session(graph, sessionConfig);
    } catch (RuntimeException ex) {
      graph.close();
      throw ex;
    }
  }

  /**
   * Evaluates the given weights on the whole held-out split.
   *
   * @param params the model's parameters by path
   * @return mean loss and top-1 accuracy
   * @throws IOException if a held-out example cannot be read
   */
  Evaluation evaluate(Map<String, HostArray> params) throws IOException {
    store.weights().load(session, params);
    double[] sums = new double[2];
    long n = 0;
    if (cache != null) {
      for (Batch b : cache) {
        n += run(b, sums);
      }
      return new Evaluation(sums[0] / n, sums[1] / n, n);
    }
    long total = dataset.numEval();
    // Small held-out splits are kept after the first pass; large ones are read each time.
    List<Batch> keep = total * dataset.exampleSize() <= CACHE_FLOATS ? new ArrayList<>() : null;
    for (long from = 0; from < total; from += batchSize) {
      Batch b = batch(from, (int) Math.min(batchSize, total - from));
      n += run(b, sums);
      if (keep != null) {
        keep.add(b);
      }
    }
    cache = keep;
    return new Evaluation(sums[0] / n, sums[1] / n, n);
  }

  private int run(Batch b, double[] sums) {
    try (TFloat32 x =
            TFloat32.tensorOf(Shape.of(b.shape()), DataBuffers.of(b.images(), true, false));
        TInt32 y = TInt32.vectorOf(b.labels());
        Result r =
            session.runner().feed(images, x).feed(labels, y).fetch(lossSum).fetch(correct).run()) {
      sums[0] += ((TFloat32) r.get(0)).getFloat();
      sums[1] += ((TFloat32) r.get(1)).getFloat();
      return b.size();
    }
  }

  private Batch batch(long from, int b) throws IOException {
    int[] s = dataset.exampleShape();
    int size = dataset.exampleSize();
    float[] x = new float[b * size];
    int[] y = new int[b];
    for (int j = 0; j < b; j++) {
      y[j] = dataset.eval(from + j, x, j * size);
    }
    return new Batch(-1, Batch.shapeOf(b, s), x, y);
  }

  @Override
  public void close() {
    try {
      session.close();
    } finally {
      graph.close();
    }
  }
}
