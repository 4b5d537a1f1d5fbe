package dev.tokenlearner.ops;

import java.util.Arrays;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.Conv3d;
import org.tensorflow.op.nn.Conv3dBackpropFilter;
import org.tensorflow.op.nn.Conv3dBackpropInput;

/**
 * The gradient of {@code Conv3D}, which TensorFlow's C++ gradient registry lacks: without it a
 * video model with a 3-D patch embedding cannot be differentiated.
 *
 * <p>{@code dx = Conv3DBackpropInputV2(shape(x), w, dy)}, {@code dw = Conv3DBackpropFilterV2(x,
 * shape(w), dy)} with the forward op's strides, padding, dilations and layout. {@link Conv}
 * registers it before emitting a 3-D convolution; graphs that call {@code conv3d} directly call
 * {@link #ensureRegistered()} themselves.
 */
public final class Conv3dGradient {

  private static boolean registered;

  private Conv3dGradient() {}

  /**
   * Registers the gradient once per process. A registration is refused (and ignored here) if the
   * native library already has one.
   */
  public static synchronized void ensureRegistered() {
    if (!registered) {
      TensorFlow.registerCustomGradient(Conv3d.Inputs.class, Conv3dGradient::gradient);
      registered = true;
    }
  }

  /** Raw types keep the callback valid for every float dtype: it must never throw. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static List<Operand<?>> gradient(Ops tf, Conv3d.Inputs in, List<Output<?>> gradOutputs) {
    Operand dy = gradOutputs.get(0);
    List<Long> strides = Arrays.stream(in.strides).boxed().toList();
    List<Long> dilations = Arrays.stream(in.dilations).boxed().toList();
    Operand dx =
        tf.nn.conv3dBackpropInput(
            tf.shape(in.input),
            in.filter,
            dy,
            strides,
            in.padding,
            Conv3dBackpropInput.dilations(dilations),
            Conv3dBackpropInput.dataFormat(in.dataFormat));
    Operand dw =
        tf.nn.conv3dBackpropFilter(
            in.input,
            tf.shape(in.filter),
            dy,
            strides,
            in.padding,
            Conv3dBackpropFilter.dilations(dilations),
            Conv3dBackpropFilter.dataFormat(in.dataFormat));
    return List.of(dx, dw);
  }
}
