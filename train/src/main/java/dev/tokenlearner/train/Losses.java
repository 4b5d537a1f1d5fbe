package dev.tokenlearner.train;

import dev.tokenlearner.graph.config.ModelName;
import dev.tokenlearner.ops.Parameter;
import java.util.List;
import java.util.OptionalDouble;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Sum;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Scenic's classification losses, averaged over the batch.
 *
 * <ul>
 *   <li>{@code token_learner_classification}: softmax cross-entropy {@code -sum_c t_c
 *       log_softmax(z)_c} ({@code weighted_softmax_cross_entropy});
 *   <li>{@code token_learner_multilabel_classification}: sigmoid cross-entropy summed over classes,
 *       {@code sum_c max(z,0) - z t_c + log(1 + exp(-|z|))} ({@code
 *       weighted_sigmoid_cross_entropy}), with the label one-hot as the multi-hot target.
 * </ul>
 *
 * Label smoothing is Scenic's: {@code t = onehot (1 - ls) + ls / num_classes}. Without smoothing
 * the softmax loss uses {@code SparseSoftmaxCrossEntropyWithLogits} (its gradient comes from {@link
 * CustomGradients}).
 */
public final class Losses {

  private Losses() {}

  /**
   * The mean loss over the batch.
   *
   * @param tf where to build
   * @param model which loss ({@link ModelName#multilabel()})
   * @param logits {@code [b, num_classes]}
   * @param labels {@code [b]} int32 class indices
   * @param numClasses number of classes
   * @param labelSmoothing Scenic's {@code label_smoothing}, if set
   * @return a float32 scalar
   */
  public static Operand<TFloat32> mean(
      Ops tf,
      ModelName model,
      Operand<TFloat32> logits,
      Operand<TInt32> labels,
      int numClasses,
      OptionalDouble labelSmoothing) {
    Operand<TInt32> lastAxis = tf.constant(-1);
    if (!model.multilabel() && labelSmoothing.isEmpty()) {
      CustomGradients.register();
      return tf.math.mean(
          tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, labels).loss(), tf.constant(0));
    }
    Operand<TFloat32> targets = targets(tf, labels, numClasses, labelSmoothing);
    Operand<TFloat32> perExample;
    if (model.multilabel()) {
      // max(z, 0) - z t + log1p(exp(-|z|)): the numerically stable form of sigmoid CE.
      Operand<TFloat32> ce =
          tf.math.add(
              tf.math.sub(tf.nn.relu(logits), tf.math.mul(logits, targets)),
              tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(logits)))));
      perExample = tf.sum(ce, lastAxis, Sum.keepDims(false));
    } else {
      perExample =
          tf.math.neg(
              tf.sum(
                  tf.math.mul(targets, tf.nn.logSoftmax(logits)), lastAxis, Sum.keepDims(false)));
    }
    return tf.math.mean(perExample, tf.constant(0));
  }

  /** One-hot targets, smoothed when asked. */
  static Operand<TFloat32> targets(
      Ops tf, Operand<TInt32> labels, int numClasses, OptionalDouble labelSmoothing) {
    Operand<TFloat32> onehot =
        tf.oneHot(labels, tf.constant(numClasses), tf.constant(1f), tf.constant(0f));
    if (labelSmoothing.isEmpty()) {
      return onehot;
    }
    double ls = labelSmoothing.getAsDouble();
    return tf.math.add(
        tf.math.mul(onehot, tf.constant((float) (1 - ls))), tf.constant((float) (ls / numClasses)));
  }

  /**
   * The sum of squares of the given parameters; over {@link #l2Regularized} it is Scenic's {@code
   * l2_regularization} (the caller adds {@code 0.5 * l2_decay_factor} times it to the loss).
   *
   * @param tf where to build
   * @param params the parameter values
   * @return a float32 scalar
   */
  public static Operand<TFloat32> sumOfSquares(Ops tf, List<Operand<TFloat32>> params) {
    Operand<TFloat32> total = tf.constant(0f);
    for (Operand<TFloat32> p : params) {
      total =
          tf.math.add(
              total,
              tf.sum(tf.math.square(tf.reshape(p, tf.constant(new long[] {-1}))), tf.constant(0)));
    }
    return total;
  }

  /**
   * The parameters Scenic's {@code l2_regularization} sums over: those of rank above 1 (kernels,
   * position embedding), not biases or LayerNorm scales.
   *
   * @param params all parameters
   * @return the values of those with rank above 1
   */
  public static List<Operand<TFloat32>> l2Regularized(List<Parameter> params) {
    return params.stream().filter(p -> p.shape().length > 1).map(Parameter::value).toList();
  }

  /**
   * The number of examples whose top-1 prediction equals the label.
   *
   * @param tf where to build
   * @param logits {@code [b, num_classes]}
   * @param labels {@code [b]}
   * @return a float32 scalar count
   */
  public static Operand<TFloat32> correct(
      Ops tf, Operand<TFloat32> logits, Operand<TInt32> labels) {
    Operand<TInt32> pred = tf.math.argMax(logits, tf.constant(-1), TInt32.class);
    return tf.sum(tf.dtypes.cast(tf.math.equal(pred, labels), TFloat32.class), tf.constant(0));
  }
}
