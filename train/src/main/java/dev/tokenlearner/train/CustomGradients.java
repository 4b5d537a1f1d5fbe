package dev.tokenlearner.train;

import dev.tokenlearner.ops.Conv3dGradient;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.tensorflow.Operand;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.SparseSoftmaxCrossEntropyWithLogits;

/**
 * Gradients, written in Java, for the ops the TensorFlow 2.18 C++ library has none for but the
 * trainer needs: {@code Conv3D} (the video tubelet embedding) and {@code
 * SparseSoftmaxCrossEntropyWithLogits} (the classification loss).
 *
 * <ul>
 *   <li>Conv3D: {@link Conv3dGradient} from the ops module.
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
    Conv3dGradient.ensureRegistered();
    boolean ce =
        TensorFlow.registerCustomGradient(
            SparseSoftmaxCrossEntropyWithLogits.Inputs.class,
            CustomGradients::sparseSoftmaxCrossEntropy);
    // false means a gradient exists already (a future TF with a C++ gradient); both are fine.
    registered = true;
    if (!ce) {
      LoggerFactory.getLogger(CustomGradients.class)
          .debug("TensorFlow already had a gradient for SparseSoftmaxCrossEntropyWithLogits");
    }
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
}
