package dev.tokenlearner.ops;

import dev.tokenlearner.core.HostArray;
import java.util.Arrays;
import org.tensorflow.Operand;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * One model parameter: its Flax path, role, shape, initialiser and graph variable.
 *
 * @param path the Flax path joined with '/', also the variable's op name (e.g. {@code
 *     Transformer/encoderblock_0/LayerNorm_0/scale})
 * @param role what the parameter is for, as its layer declared it
 * @param shape the parameter's shape, as in the Flax parameter tree
 * @param initializer how a fresh model initialises it
 * @param variable the {@code VariableV2} holding it
 * @param value the variable read through {@code Identity}, the only handle layers compute with
 */
public record Parameter(
    String path,
    ParameterRole role,
    long[] shape,
    Initializer initializer,
    Variable<TFloat32> variable,
    Operand<TFloat32> value) {

  /** Copies the shape. */
  public Parameter {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of float values. */
  public long size() {
    return HostArray.numElements(shape);
  }

  /** Shape as a readable string. */
  public String shapeString() {
    return Arrays.toString(shape);
  }
}
