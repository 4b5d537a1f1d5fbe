package dev.tokenlearner.train;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.ModelOutputs;
import dev.tokenlearner.graph.XlaCut;
import dev.tokenlearner.graph.XlaFunction;
import dev.tokenlearner.train.data.Batch;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Held-out evaluation on the training graph's own variables: an inference-mode tower of the model
 * ({@link ModelGraph#inferenceTower}) with Scenic's evaluation loss (no label smoothing) and top-1
 * count, so evaluating needs neither a second graph nor a copy of the weights.
 *
 * <p>Feeds {@code eval_images [b, H, W, C]} (or {@code [b, T, H, W, C]}) float32 and {@code
 * eval_labels [b]}; fetches {@code eval_metrics/loss_sum}, {@code eval_metrics/correct} and {@code
 * eval_metrics/logits [b, num_classes]}.
 */
final class EvalTower {

  private final Placeholder<TFloat32> images;
  private final Placeholder<TInt32> labels;
  private final Operand<TFloat32> lossSum;
  private final Operand<TFloat32> correct;
  private final Operand<TFloat32> logits;
  private final Optional<Operand<TFloat32>> tokenMaps;

  /**
   * Adds the tower to the model's graph.
   *
   * @param model the training model whose variables the tower reads
   * @param cfg the experiment (input shape, loss, classes)
   * @param xla whether to compile the tower's forward pass (as the training step is compiled)
   */
  EvalTower(ModelGraph model, ExperimentConfig cfg, boolean xla) {
    Ops tf = model.tf();
    images =
        tf.withName("eval_images")
            .placeholder(TFloat32.class, Placeholder.shape(Shape.of(cfg.input().shape(-1))));
    labels = tf.withName("eval_labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
    ModelOutputs out = model.inferenceTower("eval", images);
    // When the training step is compiled, so is the tower's forward pass; a fixed held-out set
    // runs at most two batch shapes (full and last), so two compilations per run.
    Operand<TFloat32> towerLogits = out.logits();
    if (xla) {
      List<Operand<?>> outs = List.of(out.logits());
      towerLogits =
          floats(XlaFunction.call(tf.scope(), "eval_xla", XlaCut.inputs(outs), outs).get(0));
    }
    Ops e = tf.withSubScope("eval_metrics");
    Operand<TFloat32> mean =
        Losses.mean(
            e, cfg.modelName(), towerLogits, labels, cfg.numClasses(), OptionalDouble.empty());
    Operand<TFloat32> n = e.dtypes.cast(e.size(labels), TFloat32.class);
    lossSum = e.withName("loss_sum").math.mul(mean, n);
    correct = e.withName("correct").identity(Losses.correct(e, towerLogits, labels));
    logits = e.withName("logits").identity(towerLogits);
    tokenMaps = out.tokenMaps().map(m -> e.withName("token_maps").identity(m));
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> floats(Output<?> out) {
    return (Output<TFloat32>) out;
  }

  /**
   * The first TokenLearner's attention maps for held-out examples, when the model has one.
   *
   * @param images {@code [b, H, W, C]} or {@code [b, T, H, W, C]} as the model sees them
   * @return {@code [b, K, h, w]} or {@code [b, T', K, h, w]}; empty without a TokenLearner
   */
  Optional<HostArray> tokenMaps(Session session, HostArray images) {
    if (tokenMaps.isEmpty()) {
      return Optional.empty();
    }
    try (TFloat32 x =
            TFloat32.tensorOf(
                Shape.of(images.shape()), DataBuffers.of(images.data(), true, false));
        Result r = session.runner().feed(this.images, x).fetch(tokenMaps.get()).run()) {
      TFloat32 m = (TFloat32) r.get(0);
      float[] data = new float[(int) m.shape().size()];
      m.copyTo(DataBuffers.of(data, false, false));
      return Optional.of(new HostArray(m.shape().asArray(), data));
    }
  }

  /**
   * Sum of the loss and number of correct top-1 predictions over one held-out batch.
   *
   * @return {@code {lossSum, correct}}
   */
  double[] evaluate(Session session, Batch batch) {
    try (TFloat32 x = images(batch);
        TInt32 y = TInt32.vectorOf(batch.labels());
        Result r =
            session.runner().feed(images, x).feed(labels, y).fetch(lossSum).fetch(correct).run()) {
      return new double[] {((TFloat32) r.get(0)).getFloat(), ((TFloat32) r.get(1)).getFloat()};
    }
  }

  /**
   * The logits for one held-out batch; multi-view evaluation averages them over a video's views.
   *
   * @return {@code [batch][num_classes]}
   */
  float[][] logits(Session session, Batch batch) {
    try (TFloat32 x = images(batch);
        Result r = session.runner().feed(images, x).fetch(logits).run()) {
      TFloat32 l = (TFloat32) r.get(0);
      int k = (int) l.shape().get(1);
      float[][] out = new float[batch.size()][k];
      for (int i = 0; i < out.length; i++) {
        l.get(i).copyTo(DataBuffers.of(out[i], false, false));
      }
      return out;
    }
  }

  private static TFloat32 images(Batch batch) {
    return TFloat32.tensorOf(Shape.of(batch.shape()), DataBuffers.of(batch.images(), true, false));
  }
}
