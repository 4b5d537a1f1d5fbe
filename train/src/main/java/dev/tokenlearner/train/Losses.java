package dev.tokenlearner.train;

import dev.tokenlearner.config.ModelName;
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
    if (!model.multilabel() && labelSmoothing.isEmpty()) {
      CustomGradients.register();
      return tf.math.mean(
          tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, labels).loss(), tf.constant(0));
    }
    return mean(tf, model, logits, targets(tf, labels, numClasses, labelSmoothing));
  }

  /**
   * The mean loss over the batch against soft targets (e.g. mixed by mixup, then smoothed).
   *
   * @param tf where to build
   * @param model which loss ({@link ModelName#multilabel()})
   * @param logits {@code [b, num_classes]}
   * @param targets {@code [b, num_classes]} target distributions (multi-hot for sigmoid)
   * @return a float32 scalar
   */
  public static Operand<TFloat32> mean(
      Ops tf, ModelName model, Operand<TFloat32> logits, Operand<TFloat32> targets) {
    Operand<TInt32> lastAxis = tf.constant(-1);
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
    return smooth(tf, oneHot(tf, labels, numClasses), numClasses, labelSmoothing);
  }

  /**
   * One-hot targets.
   *
   * @param tf where to build
   * @param labels {@code [b]} int32 class indices
   * @param numClasses number of classes
   * @return {@code [b, num_classes]} float32
   */
  public static Operand<TFloat32> oneHot(Ops tf, Operand<TInt32> labels, int numClasses) {
    return tf.oneHot(labels, tf.constant(numClasses), tf.constant(1f), tf.constant(0f));
  }

  /**
   * Scenic's {@code apply_label_smoothing}: {@code t (1 - ls) + ls / num_classes}.
   *
   * @param tf where to build
   * @param targets {@code [b, num_classes]}
   * @param numClasses number of classes
   * @param labelSmoothing {@code label_smoothing}; empty returns {@code targets}
   * @return the smoothed targets
   */
  public static Operand<TFloat32> smooth(
      Ops tf, Operand<TFloat32> targets, int numClasses, OptionalDouble labelSmoothing) {
    if (labelSmoothing.isEmpty()) {
      return targets;
    }
    double ls = labelSmoothing.getAsDouble();
    return tf.math.add(
        tf.math.mul(targets, tf.constant((float) (1 - ls))),
        tf.constant((float) (ls / numClasses)));
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

  /**
   * The training accuracy count against soft targets, as Scenic's metrics compute it from a mixed
   * batch's labels: for softmax models ({@code weighted_correctly_classified}) the examples whose
   * top-1 prediction equals the argmax of the target; for sigmoid models ({@code
   * weighted_top_one_correctly_classified}, {@code prec@1}) the sum of the target values at the
   * top-1 prediction (fractional under mixup).
   *
   * @param tf where to build
   * @param model which metric ({@link ModelName#multilabel()})
   * @param logits {@code [b, num_classes]}
   * @param targets {@code [b, num_classes]} (unsmoothed)
   * @return a float32 scalar count
   */
  public static Operand<TFloat32> correct(
      Ops tf, ModelName model, Operand<TFloat32> logits, Operand<TFloat32> targets) {
    Operand<TInt32> pred = tf.math.argMax(logits, tf.constant(-1), TInt32.class);
    if (model.multilabel()) {
      Operand<TInt32> classes = tf.gather(tf.shape(targets), tf.constant(1), tf.constant(0));
      Operand<TFloat32> atPred =
          tf.math.mul(targets, tf.oneHot(pred, classes, tf.constant(1f), tf.constant(0f)));
      return tf.sum(atPred, tf.constant(new int[] {0, 1}));
    }
    return correct(tf, logits, tf.math.argMax(targets, tf.constant(-1), TInt32.class));
  }
}
