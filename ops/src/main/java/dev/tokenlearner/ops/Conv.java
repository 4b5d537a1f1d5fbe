package dev.tokenlearner.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Flax {@code nn.Conv}, channels-last, 2-D or 3-D.
 *
 * <ul>
 *   <li>Parameters: {@code kernel [kh, kw, in, features]} (HWIO) or {@code [kt, kh, kw, in,
 *       features]} (THWIO); {@code bias [features]} if {@code useBias}
 *   <li>Input: {@code [b, h, w, in]} or {@code [b, t, h, w, in]}; output: {@code [b, h', w',
 *       features]} or {@code [b, t', h', w', features]}
 * </ul>
 *
 * <p>{@code SAME} padding pads {@code total // 2} before and the rest after, as XLA does; this is
 * also TF's rule, so the two agree.
 *
 * @param features output channels
 * @param kernelSize window size, 2 or 3 entries
 * @param strides strides, same length as {@code kernelSize}
 * @param padding {@code SAME} or {@code VALID}
 * @param useBias whether a bias is added
 * @param kernelInit kernel initialiser (Flax default lecun_normal)
 */
public record Conv(
    int features,
    long[] kernelSize,
    long[] strides,
    String padding,
    boolean useBias,
    Initializer kernelInit)
    implements FlaxModule {

  /** Flax's class name, the prefix of auto-named instances ({@code Conv_0}). */
  public static final String NAME = "Conv";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** Validates and copies the window. */
  public Conv {
    if (features <= 0) {
      throw new IllegalArgumentException("Conv features must be positive, got " + features);
    }
    if (kernelSize.length != 2 && kernelSize.length != 3) {
      throw new IllegalArgumentException(
          "Conv supports 2-D and 3-D windows, got " + Arrays.toString(kernelSize));
    }
    if (strides.length != kernelSize.length) {
      throw new IllegalArgumentException(
          "Conv strides "
              + Arrays.toString(strides)
              + " do not match window "
              + Arrays.toString(kernelSize));
    }
    if (!padding.equals("SAME") && !padding.equals("VALID")) {
      throw new IllegalArgumentException("Conv padding must be SAME or VALID, got " + padding);
    }
    kernelSize = kernelSize.clone();
    strides = strides.clone();
  }

  /** A stride-1, SAME-padded convolution without bias (TokenLearner v1's mask convs). */
  public static Conv sameNoBias(int features, long... kernelSize) {
    long[] ones = new long[kernelSize.length];
    Arrays.fill(ones, 1);
    return new Conv(features, kernelSize, ones, "SAME", false, Initializer.lecunNormal());
  }

  /** A non-overlapping patch projection: window = stride, VALID, with bias (ViT's embedding). */
  public static Conv patches(int features, long... patchSize) {
    return new Conv(features, patchSize, patchSize, "VALID", true, Initializer.lecunNormal());
  }

  @Override
  public long[] kernelSize() {
    return kernelSize.clone();
  }

  @Override
  public long[] strides() {
    return strides.clone();
  }

  /**
   * Applies the convolution.
   *
   * @param s this module's scope
   * @param x {@code [b, h, w, c]} for a 2-D window or {@code [b, t, h, w, c]} for a 3-D one
   * @param <T> the compute dtype; the parameters are cast to it
   * @return the convolved features
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x) {
    int spatial = kernelSize.length;
    long[] shape =
        Shapes.requireRank(
            x,
            s.describe(),
            spatial == 2 ? "[batch, h, w, channels]" : "[batch, t, h, w, channels]",
            spatial + 2);
    long in = shape[shape.length - 1];
    long[] kshape = Arrays.copyOf(kernelSize, spatial + 2);
    kshape[spatial] = in;
    kshape[spatial + 1] = features;
    Operand<T> kernel = s.param("kernel", ParameterRole.KERNEL, kshape, kernelInit, x.type());
    Ops tf = s.tf();
    List<Long> st = new ArrayList<>();
    st.add(1L);
    for (long v : strides) {
      st.add(v);
    }
    st.add(1L);
    if (spatial == 3) {
      Conv3dGradient.ensureRegistered();
    }
    Operand<T> y =
        spatial == 2 ? tf.nn.conv2d(x, kernel, st, padding) : tf.nn.conv3d(x, kernel, st, padding);
    if (useBias) {
      y =
          tf.math.add(
              y,
              s.param(
                  "bias",
                  ParameterRole.BIAS,
                  new long[] {features},
                  Initializer.zeros(),
                  x.type()));
    }
    return y;
  }
}
