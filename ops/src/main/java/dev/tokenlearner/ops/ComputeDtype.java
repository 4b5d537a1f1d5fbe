package dev.tokenlearner.ops;

import java.util.Arrays;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * The dtype a model's forward pass computes in: Scenic's {@code model_dtype_str}, i.e. the {@code
 * dtype} of its Flax modules with {@code param_dtype=float32}.
 *
 * <p>Parameters (and so checkpoints and optimizer state) stay float32 whatever this is: layers cast
 * each parameter to the compute dtype where they use it ({@link ModuleScope#param(String,
 * ParameterRole, long[], Initializer, Class)}), and gradients flow back through those casts to the
 * float32 variables. LayerNorm statistics and softmaxes run in float32 ({@link
 * Precision#inFloat32}), and the model's outputs are float32.
 */
public enum ComputeDtype {
  /** Plain float32; builds exactly the graph of a model without mixed precision. */
  FLOAT32("float32", TFloat32.class),
  /** bfloat16 compute (8 exponent bits, as float32; ~3 significant digits). */
  BFLOAT16("bfloat16", TBfloat16.class),
  /** float16 compute (5 exponent bits): needs loss scaling in training; meant for GPUs. */
  FLOAT16("float16", TFloat16.class);

  private final String configName;
  private final Class<? extends TFloating> type;

  ComputeDtype(String configName, Class<? extends TFloating> type) {
    this.configName = configName;
    this.type = type;
  }

  /**
   * The dtype named by {@code model_dtype_str}.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static ComputeDtype of(String modelDtypeStr) {
    for (ComputeDtype d : values()) {
      if (d.configName.equals(modelDtypeStr)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "model_dtype_str: unknown dtype '"
            + modelDtypeStr
            + "'; expected one of "
            + Arrays.stream(values()).map(ComputeDtype::configName).toList());
  }

  /** The name in {@code model_dtype_str}. */
  public String configName() {
    return configName;
  }

  /** The TF type the forward computes in. */
  public Class<? extends TFloating> type() {
    return type;
  }

  /** Whether this is a low-precision dtype (anything but float32). */
  public boolean isMixed() {
    return this != FLOAT32;
  }
}
