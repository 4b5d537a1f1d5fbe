package dev.tokenlearner.train;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.tensorflow.Operand;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.Conv3d;
import org.tensorflow.op.nn.Conv3dBackpropFilter;
import org.tensorflow.op.nn.Conv3dBackpropInput;
import org.tensorflow.op.nn.SparseSoftmaxCrossEntropyWithLogits;

/**
 * Gradients, written in Java, for the ops the TensorFlow 2.18 C++ library has none for but the
 * trainer needs: {@code Conv3D} (the video tubelet embedding) and {@code
 * SparseSoftmaxCrossEntropyWithLogits} (the classification loss).
 *
 * <ul>
 *   <li>Conv3D: {@code dx = Conv3DBackpropInputV2(shape(x), w, dy)}, {@code dw =
 *       Conv3DBackpropFilterV2(x, shape(w), dy)} with the op's strides, padding, data format and
 *       dilations.
 *   <li>SparseSoftmaxCrossEntropyWithLogits: {@code dlogits = dloss[:, None] * backprop} (the op's
 *       second output, {@code softmax - onehot}); the integer labels get zeros.
 * </ul>
 *
 * <p>Registration is global to the process and TensorFlow accepts it once per op type, so {@link
 * #register()} is idempotent.
 */
public final class CustomGradients {

  private static boolean registered;

  private CustomGradients() {}

  /**
   * Registers both gradients (once per process).
   *
   * @throws IllegalStateException if TensorFlow refuses a registration the first time
   */
  public static synchronized void register() {
    if (registered) {
      return;
    }
    boolean conv = TensorFlow.registerCustomGradient(Conv3d.Inputs.class, CustomGradients::conv3d);
    boolean ce =
        TensorFlow.registerCustomGradient(
            SparseSoftmaxCrossEntropyWithLogits.Inputs.class,
            CustomGradients::sparseSoftmaxCrossEntropy);
    // false means a gradient exists already (a future TF with a C++ gradient); both are fine.
    registered = true;
    if (!conv || !ce) {
      LoggerFactory.getLogger(CustomGradients.class)
          .debug("TensorFlow already had a gradient for Conv3D={} SparseSoftmaxCE={}", !conv, !ce);
    }
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static List<Operand<?>> conv3d(
      Ops tf, Conv3d.Inputs in, List<org.tensorflow.Output<?>> grads) {
    List<Long> strides = longs(in.strides);
    List<Long> dilations = longs(in.dilations);
    Operand dy = grads.get(0);
    Operand dx =
        tf.nn.conv3dBackpropInput(
            tf.shape(in.input),
            in.filter,
            dy,
            strides,
            in.padding,
            Conv3dBackpropInput.dataFormat(in.dataFormat),
            Conv3dBackpropInput.dilations(dilations));
    Operand dw =
        tf.nn.conv3dBackpropFilter(
            in.input,
            tf.shape(in.filter),
            dy,
            strides,
            in.padding,
            Conv3dBackpropFilter.dataFormat(in.dataFormat),
            Conv3dBackpropFilter.dilations(dilations));
    return List.of(dx, dw);
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static List<Operand<?>> sparseSoftmaxCrossEntropy(
      Ops tf, SparseSoftmaxCrossEntropyWithLogits.Inputs in, List<org.tensorflow.Output<?>> grads) {
    SparseSoftmaxCrossEntropyWithLogits op = (SparseSoftmaxCrossEntropyWithLogits) in.getOutputs();
    Operand dloss = grads.get(0);
    Operand dlogits = tf.math.mul(tf.expandDims(dloss, tf.constant(-1)), op.backprop());
    // Never null: a null gradient crashes the native side later.
    Operand dlabels = tf.zerosLike(in.labels);
    return List.of(dlogits, dlabels);
  }

  private static List<Long> longs(long[] a) {
    List<Long> out = new ArrayList<>(a.length);
    for (long v : a) {
      out.add(v);
    }
    return out;
  }
}
