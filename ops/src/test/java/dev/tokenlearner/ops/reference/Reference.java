package dev.tokenlearner.ops.reference;

import dev.tokenlearner.core.HostArray;
import java.util.Arrays;
import java.util.Map;

/**
 * Plain-Java, double-precision reference of Scenic's TokenLearner numerics (Flax {@code linen}
 * layers as used by {@code scenic/projects/token_learner/model.py}).
 *
 * <p>Everything is written as straightforward loops so that it can be checked by reading; it is
 * meant for tests, not for speed. Parameters are looked up in a {@code Map<String, HostArray>}
 * keyed by the Flax path joined with {@code '/'} (e.g. {@code
 * Transformer/encoderblock_0/LayerNorm_0/scale}); module-level methods take the module's path as
 * {@code prefix} and read the names Flax gives its children.
 *
 * <p>Conventions: activations are channels-last; {@code x} of a transformer module is {@code [B, N,
 * D]}; kernels keep Flax layouts (Dense {@code [in, out]}, Conv HWIO / THWIO, attention {@code [D,
 * H, hd]} and {@code [H, hd, D]}).
 */
public final class Reference {

  /** Flax {@code nn.LayerNorm} default epsilon. */
  public static final double LAYER_NORM_EPSILON = 1e-6;

  /** {@code sqrt(2 / pi)}, the constant of the tanh GELU approximation. */
  private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

  /** Convolution padding modes, with XLA's placement of odd padding (more at the end). */
  public enum Padding {
    /** Output size {@code ceil(in / stride)}, zero padding {@code lo = total / 2}. */
    SAME,
    /** No padding; windows that do not fit are dropped. */
    VALID
  }

  /**
   * What the whole-model forward pass produces.
   *
   * @param encoded output of {@code Transformer} after {@code encoder_norm}, {@code [n, tokens, D]}
   * @param pooled classifier pooling over tokens, {@code [n, D]} (before {@code pre_logits})
   * @param logits output of {@code output_projection}, {@code [n, classes]}
   */
  public record Output(Nd encoded, Nd pooled, Nd logits) {}

  /**
   * Tokens after the stem, before position embeddings.
   *
   * @param tokens {@code [n, N, D]}, time-major for video
   * @param temporalDims Scenic's {@code t_dims}: 1 for images, frames (or temporal patches) for
   *     video
   */
  public record Embedded(Nd tokens, int temporalDims) {}

  private Reference() {}

  // ---------------------------------------------------------------------------------------------
  // Parameters

  /**
   * Reads one parameter as a double tensor.
   *
   * @param params parameters keyed by Flax path
   * @param key the full path, e.g. {@code embedding/kernel}
   * @return the value widened to double
   * @throws IllegalArgumentException if the key is missing
   */
  public static Nd param(Map<String, HostArray> params, String key) {
    HostArray a = params.get(key);
    if (a == null) {
      throw new IllegalArgumentException("missing parameter " + key);
    }
    return Nd.fromFloat(a);
  }

  private static String path(String prefix, String name) {
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  private static void requireShape(Nd t, String what, int... expected) {
    if (!Arrays.equals(t.shape(), expected)) {
      throw new IllegalArgumentException(
          what
              + " has shape "
              + Arrays.toString(t.shape())
              + ", expected "
              + Arrays.toString(expected));
    }
  }

  private static void requireRank(Nd t, String what, int rank) {
    if (t.rank() != rank) {
      throw new IllegalArgumentException(
          what + " must have rank " + rank + ", got shape " + Arrays.toString(t.shape()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Element-wise functions

  /**
   * GELU, tanh approximation ({@code jax.nn.gelu} with its default {@code approximate=True}).
   *
   * @param x input
   * @return {@code x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x³)))}
   */
  public static double gelu(double x) {
    return x * 0.5 * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  }

  /**
   * Element-wise {@link #gelu(double)}.
   *
   * @param x input
   * @return a new tensor
   */
  public static Nd gelu(Nd x) {
    Nd y = x.copy();
    for (int i = 0; i < y.data().length; i++) {
      y.data()[i] = gelu(x.data()[i]);
    }
    return y;
  }

  /**
   * Logistic sigmoid.
   *
   * @param x input
   * @return {@code 1 / (1 + exp(-x))}
   */
  public static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  /**
   * Element-wise {@link #sigmoid(double)}.
   *
   * @param x input
   * @return a new tensor
   */
  public static Nd sigmoid(Nd x) {
    Nd y = x.copy();
    for (int i = 0; i < y.data().length; i++) {
      y.data()[i] = sigmoid(x.data()[i]);
    }
    return y;
  }

  /**
   * Element-wise hyperbolic tangent.
   *
   * @param x input
   * @return a new tensor
   */
  public static Nd tanh(Nd x) {
    Nd y = x.copy();
    for (int i = 0; i < y.data().length; i++) {
      y.data()[i] = Math.tanh(x.data()[i]);
    }
    return y;
  }

  /**
   * Softmax over the last axis, with the row maximum subtracted first ({@code jax.nn.softmax}).
   *
   * @param x input of rank at least 1
   * @return a new tensor of the same shape
   */
  public static Nd softmax(Nd x) {
    int n = x.dim(-1);
    Nd y = x.copy();
    double[] d = y.data();
    for (int row = 0; row < d.length / n; row++) {
      int base = row * n;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        max = Math.max(max, d[base + j]);
      }
      double sum = 0;
      for (int j = 0; j < n; j++) {
        d[base + j] = Math.exp(d[base + j] - max);
        sum += d[base + j];
      }
      for (int j = 0; j < n; j++) {
        d[base + j] /= sum;
      }
    }
    return y;
  }

  /**
   * Element-wise sum of two tensors of the same shape.
   *
   * @param a first operand
   * @param b second operand
   * @return {@code a + b}
   */
  public static Nd add(Nd a, Nd b) {
    requireShape(b, "second operand", a.shape());
    Nd y = a.copy();
    for (int i = 0; i < y.data().length; i++) {
      y.data()[i] += b.data()[i];
    }
    return y;
  }

  // ---------------------------------------------------------------------------------------------
  // Leaf layers

  /**
   * Flax {@code nn.LayerNorm} over the last axis with the default epsilon {@code 1e-6}.
   *
   * @param x input {@code [..., D]}
   * @param scale {@code [D]}
   * @param bias {@code [D]}
   * @return normalised tensor of the same shape
   */
  public static Nd layerNorm(Nd x, Nd scale, Nd bias) {
    return layerNorm(x, scale, bias, LAYER_NORM_EPSILON);
  }

  /**
   * Flax {@code nn.LayerNorm} over the last axis, fast variance: {@code mu = E[x]}, {@code var =
   * max(0, E[x²] - mu²)}, {@code y = (x - mu) * (rsqrt(var + eps) * scale) + bias}.
   *
   * @param x input {@code [..., D]}
   * @param scale {@code [D]}
   * @param bias {@code [D]}
   * @param eps added to the variance
   * @return normalised tensor of the same shape
   */
  public static Nd layerNorm(Nd x, Nd scale, Nd bias, double eps) {
    int d = x.dim(-1);
    requireShape(scale, "LayerNorm scale", d);
    requireShape(bias, "LayerNorm bias", d);
    Nd y = x.copy();
    double[] v = y.data();
    for (int row = 0; row < v.length / d; row++) {
      int base = row * d;
      double sum = 0;
      double sumSq = 0;
      for (int j = 0; j < d; j++) {
        sum += v[base + j];
        sumSq += v[base + j] * v[base + j];
      }
      double mean = sum / d;
      double var = Math.max(0.0, sumSq / d - mean * mean);
      double inv = 1.0 / Math.sqrt(var + eps);
      for (int j = 0; j < d; j++) {
        v[base + j] = (v[base + j] - mean) * (inv * scale.data()[j]) + bias.data()[j];
      }
    }
    return y;
  }

  /**
   * LayerNorm with {@code prefix/scale} and {@code prefix/bias}.
   *
   * @param x input {@code [..., D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code Transformer/encoder_norm}
   * @return normalised tensor of the same shape
   */
  public static Nd layerNorm(Nd x, Map<String, HostArray> params, String prefix) {
    return layerNorm(x, param(params, path(prefix, "scale")), param(params, path(prefix, "bias")));
  }

  /**
   * Flax {@code nn.Dense} over the last axis: {@code y = x @ kernel + bias}.
   *
   * @param x input {@code [..., in]}
   * @param kernel {@code [in, out]}
   * @param bias {@code [out]}, or {@code null} for none
   * @return {@code [..., out]}
   */
  public static Nd dense(Nd x, Nd kernel, Nd bias) {
    requireRank(kernel, "Dense kernel", 2);
    return denseGeneral(x, kernel, bias, 1);
  }

  /**
   * Dense with {@code prefix/kernel} and {@code prefix/bias} (bias optional).
   *
   * @param x input {@code [..., in]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code output_projection}
   * @return {@code [..., out]}
   */
  public static Nd dense(Nd x, Map<String, HostArray> params, String prefix) {
    String biasKey = path(prefix, "bias");
    Nd bias = params.containsKey(biasKey) ? param(params, biasKey) : null;
    return dense(x, param(params, path(prefix, "kernel")), bias);
  }

  /**
   * Flax {@code nn.DenseGeneral} contracting the last {@code numContracted} axes of {@code x} with
   * the first {@code numContracted} axes of {@code kernel}. With {@code numContracted = 1} and a
   * {@code [D, H, hd]} kernel this is an attention query/key/value projection ({@code [..., D] ->
   * [..., H, hd]}); with {@code numContracted = 2} and {@code [H, hd, D]} it is the output
   * projection.
   *
   * @param x input {@code [..., c1..ck]}
   * @param kernel {@code [c1..ck, f1..fm]}
   * @param bias {@code [f1..fm]}, or {@code null} for none
   * @param numContracted k, the number of contracted axes
   * @return {@code [..., f1..fm]}
   */
  public static Nd denseGeneral(Nd x, Nd kernel, Nd bias, int numContracted) {
    int batchRank = x.rank() - numContracted;
    if (numContracted < 1 || batchRank < 0 || kernel.rank() < numContracted) {
      throw new IllegalArgumentException(
          "cannot contract "
              + numContracted
              + " axes of "
              + Arrays.toString(x.shape())
              + " with kernel "
              + Arrays.toString(kernel.shape()));
    }
    int contracted = 1;
    for (int i = 0; i < numContracted; i++) {
      if (x.shape()[batchRank + i] != kernel.shape()[i]) {
        throw new IllegalArgumentException(
            "input "
                + Arrays.toString(x.shape())
                + " does not match kernel "
                + Arrays.toString(kernel.shape()));
      }
      contracted *= kernel.shape()[i];
    }
    int[] featureShape = Arrays.copyOfRange(kernel.shape(), numContracted, kernel.rank());
    int features = Nd.numElements(featureShape);
    if (bias != null) {
      requireShape(bias, "bias", featureShape);
    }
    int rows = x.size() / Math.max(contracted, 1);
    int[] outShape = new int[batchRank + featureShape.length];
    System.arraycopy(x.shape(), 0, outShape, 0, batchRank);
    System.arraycopy(featureShape, 0, outShape, batchRank, featureShape.length);
    Nd y = Nd.zeros(outShape);
    for (int r = 0; r < rows; r++) {
      for (int f = 0; f < features; f++) {
        double acc = 0;
        for (int c = 0; c < contracted; c++) {
          acc += x.data()[r * contracted + c] * kernel.data()[c * features + f];
        }
        y.data()[r * features + f] = acc + (bias == null ? 0.0 : bias.data()[f]);
      }
    }
    return y;
  }

  /**
   * XLA/JAX padding of one spatial axis: {@code out = ceil(in/stride)} for SAME, {@code total =
   * max((out-1)*stride + k - in, 0)}, {@code lo = total / 2}, {@code hi = total - lo}; zero for
   * VALID.
   *
   * @param in input size
   * @param kernel window size
   * @param stride step
   * @param padding mode
   * @return {@code {lo, hi, out}}
   */
  public static int[] padding(int in, int kernel, int stride, Padding padding) {
    if (padding == Padding.VALID) {
      int out = in >= kernel ? (in - kernel) / stride + 1 : 0;
      return new int[] {0, 0, out};
    }
    int out = (in + stride - 1) / stride;
    int total = Math.max((out - 1) * stride + kernel - in, 0);
    return new int[] {total / 2, total - total / 2, out};
  }

  /**
   * Flax {@code nn.Conv} in 2-D: input NHWC, kernel HWIO, no dilation, one feature group.
   *
   * @param x input {@code [n, H, W, Cin]}
   * @param kernel {@code [kh, kw, Cin, Cout]}
   * @param bias {@code [Cout]}, or {@code null} for none
   * @param strides {@code {sh, sw}}
   * @param padding SAME or VALID
   * @return {@code [n, Ho, Wo, Cout]}
   */
  public static Nd conv2d(Nd x, Nd kernel, Nd bias, int[] strides, Padding padding) {
    requireRank(x, "conv2d input", 4);
    requireRank(kernel, "conv2d kernel", 4);
    int n = x.dim(0);
    int h = x.dim(1);
    int w = x.dim(2);
    int cin = x.dim(3);
    int kh = kernel.dim(0);
    int kw = kernel.dim(1);
    int cout = kernel.dim(3);
    if (kernel.dim(2) != cin) {
      throw new IllegalArgumentException(
          "conv2d kernel "
              + Arrays.toString(kernel.shape())
              + " does not match input channels "
              + cin);
    }
    if (bias != null) {
      requireShape(bias, "conv2d bias", cout);
    }
    int[] ph = padding(h, kh, strides[0], padding);
    int[] pw = padding(w, kw, strides[1], padding);
    Nd y = Nd.zeros(n, ph[2], pw[2], cout);
    for (int b = 0; b < n; b++) {
      for (int oh = 0; oh < ph[2]; oh++) {
        for (int ow = 0; ow < pw[2]; ow++) {
          for (int co = 0; co < cout; co++) {
            double acc = bias == null ? 0.0 : bias.get(co);
            for (int i = 0; i < kh; i++) {
              int ih = oh * strides[0] + i - ph[0];
              if (ih < 0 || ih >= h) {
                continue;
              }
              for (int j = 0; j < kw; j++) {
                int iw = ow * strides[1] + j - pw[0];
                if (iw < 0 || iw >= w) {
                  continue;
                }
                for (int ci = 0; ci < cin; ci++) {
                  acc += x.get(b, ih, iw, ci) * kernel.get(i, j, ci, co);
                }
              }
            }
            y.set(acc, b, oh, ow, co);
          }
        }
      }
    }
    return y;
  }

  /**
   * Flax {@code nn.Conv} in 3-D: input NTHWC, kernel THWIO, no dilation, one feature group.
   *
   * @param x input {@code [n, T, H, W, Cin]}
   * @param kernel {@code [kt, kh, kw, Cin, Cout]}
   * @param bias {@code [Cout]}, or {@code null} for none
   * @param strides {@code {st, sh, sw}}
   * @param padding SAME or VALID
   * @return {@code [n, To, Ho, Wo, Cout]}
   */
  public static Nd conv3d(Nd x, Nd kernel, Nd bias, int[] strides, Padding padding) {
    requireRank(x, "conv3d input", 5);
    requireRank(kernel, "conv3d kernel", 5);
    int n = x.dim(0);
    int t = x.dim(1);
    int h = x.dim(2);
    int w = x.dim(3);
    int cin = x.dim(4);
    int kt = kernel.dim(0);
    int kh = kernel.dim(1);
    int kw = kernel.dim(2);
    int cout = kernel.dim(4);
    if (kernel.dim(3) != cin) {
      throw new IllegalArgumentException(
          "conv3d kernel "
              + Arrays.toString(kernel.shape())
              + " does not match input channels "
              + cin);
    }
    if (bias != null) {
      requireShape(bias, "conv3d bias", cout);
    }
    int[] pt = padding(t, kt, strides[0], padding);
    int[] ph = padding(h, kh, strides[1], padding);
    int[] pw = padding(w, kw, strides[2], padding);
    Nd y = Nd.zeros(n, pt[2], ph[2], pw[2], cout);
    for (int b = 0; b < n; b++) {
      for (int ot = 0; ot < pt[2]; ot++) {
        for (int oh = 0; oh < ph[2]; oh++) {
          for (int ow = 0; ow < pw[2]; ow++) {
            for (int co = 0; co < cout; co++) {
              double acc = bias == null ? 0.0 : bias.get(co);
              for (int a = 0; a < kt; a++) {
                int it = ot * strides[0] + a - pt[0];
                if (it < 0 || it >= t) {
                  continue;
                }
                for (int i = 0; i < kh; i++) {
                  int ih = oh * strides[1] + i - ph[0];
                  if (ih < 0 || ih >= h) {
                    continue;
                  }
                  for (int j = 0; j < kw; j++) {
                    int iw = ow * strides[2] + j - pw[0];
                    if (iw < 0 || iw >= w) {
                      continue;
                    }
                    for (int ci = 0; ci < cin; ci++) {
                      acc += x.get(b, it, ih, iw, ci) * kernel.get(a, i, j, ci, co);
                    }
                  }
                }
              }
              y.set(acc, b, ot, oh, ow, co);
            }
          }
        }
      }
    }
    return y;
  }

  // ---------------------------------------------------------------------------------------------
  // Composite modules

  /**
   * Scenic {@code MlpBlock}: {@code Dense_1(gelu(Dense_0(x)))}.
   *
   * @param x input {@code [..., in]}
   * @param kernel0 {@code Dense_0/kernel [in, mlp]}
   * @param bias0 {@code Dense_0/bias [mlp]}
   * @param kernel1 {@code Dense_1/kernel [mlp, out]}
   * @param bias1 {@code Dense_1/bias [out]}
   * @return {@code [..., out]}
   */
  public static Nd mlpBlock(Nd x, Nd kernel0, Nd bias0, Nd kernel1, Nd bias1) {
    return dense(gelu(dense(x, kernel0, bias0)), kernel1, bias1);
  }

  /**
   * Scenic {@code MlpBlock} with {@code prefix/Dense_0} and {@code prefix/Dense_1}.
   *
   * @param x input {@code [..., in]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code Transformer/encoderblock_0/MlpBlock_0}
   * @return {@code [..., out]}
   */
  public static Nd mlpBlock(Nd x, Map<String, HostArray> params, String prefix) {
    return dense(gelu(dense(x, params, path(prefix, "Dense_0"))), params, path(prefix, "Dense_1"));
  }

  /**
   * Flax {@code MultiHeadDotProductAttention} self-attention (no mask, deterministic): {@code
   * query}, {@code key}, {@code value} ({@code [D, H, hd]} kernels, {@code [H, hd]} biases), the
   * query scaled by {@code 1/sqrt(hd)}, softmax over keys, then {@code out} ({@code [H, hd, D]}).
   * The number of heads is read from the query kernel.
   *
   * @param x input {@code [B, N, D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code
   *     Transformer/encoderblock_0/MultiHeadDotProductAttention_0}
   * @return {@code [B, N, D]}
   */
  public static Nd multiHeadAttention(Nd x, Map<String, HostArray> params, String prefix) {
    requireRank(x, "attention input", 3);
    Nd q = dense3(x, params, path(prefix, "query"));
    Nd k = dense3(x, params, path(prefix, "key"));
    Nd v = dense3(x, params, path(prefix, "value"));
    int b = q.dim(0);
    int n = q.dim(1);
    int heads = q.dim(2);
    int hd = q.dim(3);
    double qScale = 1.0 / Math.sqrt(hd);
    Nd o = Nd.zeros(b, n, heads, hd);
    double[] logits = new double[n];
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            double dot = 0;
            for (int d = 0; d < hd; d++) {
              dot += q.get(bi, i, h, d) * qScale * k.get(bi, j, h, d);
            }
            logits[j] = dot;
          }
          Nd w = softmax(Nd.of(new int[] {n}, logits));
          for (int d = 0; d < hd; d++) {
            double acc = 0;
            for (int j = 0; j < n; j++) {
              acc += w.get(j) * v.get(bi, j, h, d);
            }
            o.set(acc, bi, i, h, d);
          }
        }
      }
    }
    return denseGeneral(
        o, param(params, path(prefix, "out/kernel")), param(params, path(prefix, "out/bias")), 2);
  }

  private static Nd dense3(Nd x, Map<String, HostArray> params, String prefix) {
    Nd kernel = param(params, path(prefix, "kernel"));
    requireRank(kernel, prefix + "/kernel", 3);
    return denseGeneral(x, kernel, param(params, path(prefix, "bias")), 1);
  }

  /**
   * Scenic ViT {@code Encoder1DBlock} (pre-LN, inference): {@code x1 = x + MHA_0(LayerNorm_0(x))};
   * {@code out = x1 + MlpBlock_0(LayerNorm_1(x1))}.
   *
   * @param x input {@code [B, N, D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code Transformer/encoderblock_0}
   * @return {@code [B, N, D]}
   */
  public static Nd encoder1DBlock(Nd x, Map<String, HostArray> params, String prefix) {
    Nd y = layerNorm(x, params, path(prefix, "LayerNorm_0"));
    y = multiHeadAttention(y, params, path(prefix, "MultiHeadDotProductAttention_0"));
    Nd x1 = add(x, y);
    Nd z = layerNorm(x1, params, path(prefix, "LayerNorm_1"));
    z = mlpBlock(z, params, path(prefix, "MlpBlock_0"));
    return add(x1, z);
  }

  /**
   * Scenic {@code AddPositionEmbs}: {@code x + pos_embedding}, broadcast over the batch.
   *
   * @param x input {@code [B, N, D]}
   * @param posEmbedding {@code [1, N, D]}
   * @return {@code [B, N, D]}
   */
  public static Nd addPositionEmbs(Nd x, Nd posEmbedding) {
    requireRank(x, "position embedding input", 3);
    requireShape(posEmbedding, "pos_embedding", 1, x.dim(1), x.dim(2));
    Nd y = x.copy();
    int per = x.dim(1) * x.dim(2);
    for (int i = 0; i < y.data().length; i++) {
      y.data()[i] += posEmbedding.data()[i % per];
    }
    return y;
  }

  /**
   * {@code AddPositionEmbs} with {@code prefix/pos_embedding}.
   *
   * @param x input {@code [B, N, D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, normally {@code Transformer/posembed_input}
   * @return {@code [B, N, D]}
   */
  public static Nd addPositionEmbs(Nd x, Map<String, HostArray> params, String prefix) {
    return addPositionEmbs(x, param(params, path(prefix, "pos_embedding")));
  }

  /** Flattens {@code [B, h, w, D]} to {@code [B, h*w, D]}; leaves rank 3 alone. */
  private static Nd flattenSpatial(Nd x, String what) {
    if (x.rank() == 4) {
      return x.reshape(x.dim(0), x.dim(1) * x.dim(2), x.dim(3));
    }
    requireRank(x, what, 3);
    return x;
  }

  /**
   * {@code TokenLearnerModuleV11}: {@code w = softmax_S(token_masking(LayerNorm_0(x))ᵀ)}, {@code
   * out[b,k,:] = Σ_s w[b,k,s] x[b,s,:]} over the original (un-normalised) {@code x}.
   *
   * @param x input {@code [B, S, D]} or {@code [B, h, w, D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code Transformer/TokenLearnerModuleV11_0}
   * @return {@code [B, K, D]}, K from {@code token_masking/Dense_1}
   */
  public static Nd tokenLearnerV11(Nd x, Map<String, HostArray> params, String prefix) {
    Nd flat = flattenSpatial(x, "TokenLearnerModuleV11 input");
    Nd s = layerNorm(flat, params, path(prefix, "LayerNorm_0"));
    s = mlpBlock(s, params, path(prefix, "token_masking")); // [B, S, K]
    Nd weights = softmax(s.transpose(0, 2, 1)); // [B, K, S], softmax over S
    return weightedTokens(weights, flat, false);
  }

  /**
   * {@code TokenLearnerModule} (v1) with sum pooling, the Scenic default.
   *
   * @param x input {@code [B, S, D]} with square S, or {@code [B, h, w, D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code Transformer/TokenLearnerModule_0}
   * @return {@code [B, K, D]}
   */
  public static Nd tokenLearnerV1(Nd x, Map<String, HostArray> params, String prefix) {
    return tokenLearnerV1(x, params, prefix, true);
  }

  /**
   * {@code TokenLearnerModule} (v1): {@code LayerNorm_0}, then {@code gelu(Conv_0)}, {@code
   * gelu(Conv_1)}, {@code gelu(Conv_2)}, {@code Conv_3} (3x3, stride 1, SAME, no bias), sigmoid,
   * then pooling of the original {@code x} over the spatial axis weighted by the mask.
   *
   * @param x input {@code [B, S, D]} with square S, or {@code [B, h, w, D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code Transformer/TokenLearnerModule_0}
   * @param sumPooling true for {@code Σ_s} (Scenic default), false for the mean over S
   * @return {@code [B, K, D]}
   */
  public static Nd tokenLearnerV1(
      Nd x, Map<String, HostArray> params, String prefix, boolean sumPooling) {
    Nd grid;
    if (x.rank() == 3) {
      int side = (int) Math.sqrt(x.dim(1));
      if (side * side != x.dim(1)) {
        throw new IllegalArgumentException(
            "TokenLearnerModule needs a square number of tokens, got " + x.dim(1));
      }
      grid = x.reshape(x.dim(0), side, side, x.dim(2));
    } else {
      requireRank(x, "TokenLearnerModule input", 4);
      grid = x;
    }
    int[] unit = {1, 1};
    Nd s = layerNorm(grid, params, path(prefix, "LayerNorm_0"));
    s = gelu(conv2d(s, param(params, path(prefix, "Conv_0/kernel")), null, unit, Padding.SAME));
    s = gelu(conv2d(s, param(params, path(prefix, "Conv_1/kernel")), null, unit, Padding.SAME));
    s = gelu(conv2d(s, param(params, path(prefix, "Conv_2/kernel")), null, unit, Padding.SAME));
    s = conv2d(s, param(params, path(prefix, "Conv_3/kernel")), null, unit, Padding.SAME);
    int b = s.dim(0);
    int area = s.dim(1) * s.dim(2);
    Nd weights = sigmoid(s.reshape(b, area, s.dim(3)).transpose(0, 2, 1)); // [B, K, S]
    Nd flat = grid.reshape(b, area, grid.dim(3));
    return weightedTokens(weights, flat, !sumPooling);
  }

  /** {@code out[b,k,d] = Σ_s w[b,k,s] x[b,s,d]}, divided by S when {@code mean}. */
  private static Nd weightedTokens(Nd weights, Nd x, boolean mean) {
    int b = x.dim(0);
    int area = x.dim(1);
    int d = x.dim(2);
    int k = weights.dim(1);
    requireShape(weights, "token weights", b, k, area);
    Nd out = Nd.zeros(b, k, d);
    for (int bi = 0; bi < b; bi++) {
      for (int ki = 0; ki < k; ki++) {
        for (int di = 0; di < d; di++) {
          double acc = 0;
          for (int s = 0; s < area; s++) {
            acc += weights.get(bi, ki, s) * x.get(bi, s, di);
          }
          out.set(mean ? acc / area : acc, bi, ki, di);
        }
      }
    }
    return out;
  }

  /**
   * {@code TokenFuser} (without the caller's residual add): {@code t = fuser_mix_norm2(Dense_0 over
   * the token axis of fuser_mix_norm1(inputs))}, {@code mix =
   * sigmoid(token_masking(LayerNorm_0(original)))}, {@code out[b,s,c] = Σ_k mix[b,s,k] t[b,k,c]}.
   *
   * @param inputs learned tokens {@code [B, K, D]}
   * @param original the TokenLearner input {@code [B, S, D]} or {@code [B, h, w, D]}
   * @param params parameters keyed by Flax path
   * @param prefix the module path, e.g. {@code Transformer/TokenFuser_0}
   * @return {@code [B, S, D]}
   */
  public static Nd tokenFuser(
      Nd inputs, Nd original, Map<String, HostArray> params, String prefix) {
    requireRank(inputs, "TokenFuser inputs", 3);
    Nd orig = flattenSpatial(original, "TokenFuser original");
    int b = inputs.dim(0);
    int k = inputs.dim(1);
    int d = inputs.dim(2);
    if (orig.dim(0) != b || orig.dim(2) != d) {
      throw new IllegalArgumentException(
          "TokenFuser inputs "
              + Arrays.toString(inputs.shape())
              + " do not match original "
              + Arrays.toString(orig.shape()));
    }
    Nd t = layerNorm(inputs, params, path(prefix, "fuser_mix_norm1"));
    t = dense(t.transpose(0, 2, 1), params, path(prefix, "Dense_0")).transpose(0, 2, 1);
    t = layerNorm(t, params, path(prefix, "fuser_mix_norm2"));
    Nd mix = layerNorm(orig, params, path(prefix, "LayerNorm_0"));
    mix = sigmoid(mlpBlock(mix, params, path(prefix, "token_masking"))); // [B, S, K]
    requireShape(mix, "TokenFuser mask", b, orig.dim(1), k);
    int area = orig.dim(1);
    Nd out = Nd.zeros(b, area, d);
    for (int bi = 0; bi < b; bi++) {
      for (int s = 0; s < area; s++) {
        for (int c = 0; c < d; c++) {
          double acc = 0;
          for (int ki = 0; ki < k; ki++) {
            acc += mix.get(bi, s, ki) * t.get(bi, ki, c);
          }
          out.set(acc, bi, s, c);
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Whole model

  /**
   * Frame indices of Scenic's {@code sample_frames_uniformly}: for {@code s < F}, {@code start =
   * step = F/(s+1)}, else {@code start = 0, step = 1}; {@code idx =
   * min(round_half_even(arange(start, F, step)), F-1)}, with numpy's arange length {@code ceil((F -
   * start) / step)}.
   *
   * @param numFrames F, frames in the clip
   * @param nSampled s, requested frames
   * @return the indices, in order
   */
  public static int[] sampleFrameIndices(int numFrames, int nSampled) {
    double start;
    double step;
    if (nSampled < numFrames) {
      start = (double) numFrames / (nSampled + 1);
      step = start;
    } else {
      start = 0;
      step = 1;
    }
    int len = (int) Math.ceil((numFrames - start) / step);
    int[] idx = new int[Math.max(len, 0)];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = Math.min((int) Math.rint(start + i * step), numFrames - 1);
    }
    return idx;
  }

  /**
   * Scenic {@code sample_frames_uniformly}: picks {@link #sampleFrameIndices} frames on axis 1.
   *
   * @param x video {@code [n, T, H, W, C]}
   * @param nSampled requested frames
   * @return {@code [n, t_s, H, W, C]}
   */
  public static Nd sampleFramesUniformly(Nd x, int nSampled) {
    requireRank(x, "video input", 5);
    int[] idx = sampleFrameIndices(x.dim(1), nSampled);
    int frame = x.dim(2) * x.dim(3) * x.dim(4);
    Nd y = Nd.zeros(x.dim(0), idx.length, x.dim(2), x.dim(3), x.dim(4));
    for (int b = 0; b < x.dim(0); b++) {
      for (int t = 0; t < idx.length; t++) {
        System.arraycopy(
            x.data(),
            (b * x.dim(1) + idx[t]) * frame,
            y.data(),
            (b * idx.length + t) * frame,
            frame);
      }
    }
    return y;
  }

  /**
   * The stem: {@code embedding} conv (VALID, stride = patch) turning pixels into tokens; for video
   * either {@code 3d_conv} or {@code temporal_sampling} (frames stacked along height), as Scenic's
   * {@code temporal_encode}.
   *
   * @param x image {@code [n, H, W, C]} or video {@code [n, T, H, W, C]}
   * @param params parameters keyed by Flax path
   * @param config model settings
   * @return tokens {@code [n, N, D]} and {@code t_dims}
   */
  public static Embedded embed(Nd x, Map<String, HostArray> params, ReferenceConfig config) {
    Nd kernel = param(params, "embedding/kernel");
    Nd bias = param(params, "embedding/bias");
    int[] p = config.patchSize();
    if (!config.tokenizerType().equals("video")) {
      requireRank(x, "image input", 4);
      Nd y = conv2d(x, kernel, bias, new int[] {p[0], p[1]}, Padding.VALID);
      return new Embedded(y.reshape(y.dim(0), y.dim(1) * y.dim(2), y.dim(3)), 1);
    }
    requireRank(x, "video input", 5);
    if (config.temporalMethod().equals("3d_conv")) {
      // Scenic's patches.size is [fh, fw, ft]; the kernel and strides are [ft, fh, fw].
      Nd y = conv3d(x, kernel, bias, new int[] {p[2], p[0], p[1]}, Padding.VALID);
      int n = y.dim(0);
      int t = y.dim(1);
      return new Embedded(y.reshape(n, t * y.dim(2) * y.dim(3), y.dim(4)), t);
    }
    Nd sampled = sampleFramesUniformly(x, config.nSampledFrames());
    int ts = sampled.dim(1);
    Nd stacked = sampled.reshape(x.dim(0), ts * x.dim(2), x.dim(3), x.dim(4));
    Nd y = conv2d(stacked, kernel, bias, new int[] {p[0], p[1]}, Padding.VALID);
    return new Embedded(y.reshape(y.dim(0), y.dim(1) * y.dim(2), y.dim(3)), ts);
  }

  private static String tokenLearnerName(ReferenceConfig config, int j) {
    return "Transformer/"
        + (config.useV11() ? "TokenLearnerModuleV11_" : "TokenLearnerModule_")
        + j;
  }

  private static Nd tokenLearner(
      Nd x, Map<String, HostArray> params, ReferenceConfig config, int j) {
    String prefix = tokenLearnerName(config, j);
    return config.useV11() ? tokenLearnerV11(x, params, prefix) : tokenLearnerV1(x, params, prefix);
  }

  /**
   * Scenic {@code EncoderMod} named {@code Transformer}: position embeddings, encoder blocks, one
   * TokenLearner ({@code _0}) before block {@code loc} applied per frame (dynamic/video only, and
   * only when {@code 0 <= loc < layers}), then {@code encoder_norm}.
   *
   * @param x tokens {@code [n, N, D]}
   * @param temporalDims {@code t_dims} from {@link #embed}
   * @param params parameters keyed by Flax path
   * @param config model settings
   * @return {@code [n, t_dims*K, D]} with a TokenLearner, else {@code [n, N, D]}
   */
  public static Nd encoderMod(
      Nd x, int temporalDims, Map<String, HostArray> params, ReferenceConfig config) {
    Nd h = addPositionEmbs(x, params, "Transformer/posembed_input");
    for (int lyr = 0; lyr < config.layers(); lyr++) {
      if (config.learnsTokens() && lyr == config.loc()) {
        int n = h.dim(0);
        int c = h.dim(2);
        int hw = h.dim(1) / temporalDims;
        Nd perFrame = h.reshape(n * temporalDims, hw, c);
        Nd tokens = tokenLearner(perFrame, params, config, 0);
        h = tokens.reshape(n, temporalDims * tokens.dim(1), c);
      }
      h = encoder1DBlock(h, params, "Transformer/encoderblock_" + lyr);
    }
    return layerNorm(h, params, "Transformer/encoder_norm");
  }

  /**
   * Scenic {@code EncoderModFuser} named {@code Transformer}: from layer {@code loc} on, each block
   * runs on per-frame learned tokens ({@code TokenLearner*_j}, {@code j = lyr - loc}) and {@code
   * TokenFuser_j} maps them back onto the residual tokens.
   *
   * @param x tokens {@code [n, N, D]}
   * @param temporalDims {@code t_dims} from {@link #embed}
   * @param params parameters keyed by Flax path
   * @param config model settings
   * @return {@code [n, N, D]}
   */
  public static Nd encoderModFuser(
      Nd x, int temporalDims, Map<String, HostArray> params, ReferenceConfig config) {
    Nd h = addPositionEmbs(x, params, "Transformer/posembed_input");
    int j = 0;
    for (int lyr = 0; lyr < config.layers(); lyr++) {
      String block = "Transformer/encoderblock_" + lyr;
      if (config.learnsTokens() && lyr >= config.loc()) {
        int n = h.dim(0);
        int c = h.dim(2);
        int hw = h.dim(1) / temporalDims;
        Nd residual = h.reshape(n * temporalDims, hw, c);
        Nd y = tokenLearner(residual, params, config, j);
        int k = y.dim(1);
        y = encoder1DBlock(y.reshape(n, temporalDims * k, c), params, block);
        y =
            tokenFuser(
                y.reshape(n * temporalDims, k, c), residual, params, "Transformer/TokenFuser_" + j);
        h = add(y, residual).reshape(n, temporalDims * hw, c);
        j++;
      } else {
        h = encoder1DBlock(h, params, block);
      }
    }
    return layerNorm(h, params, "Transformer/encoder_norm");
  }

  /**
   * The classifier pooling over tokens (axis 1).
   *
   * @param encoded {@code [n, tokens, D]}
   * @param classifier {@code gap} (mean), {@code gmp} (max) or {@code gsp} (sum)
   * @return {@code [n, D]}
   */
  public static Nd pool(Nd encoded, String classifier) {
    requireRank(encoded, "encoded tokens", 3);
    int n = encoded.dim(0);
    int tokens = encoded.dim(1);
    int d = encoded.dim(2);
    Nd y = Nd.zeros(n, d);
    for (int b = 0; b < n; b++) {
      for (int c = 0; c < d; c++) {
        double acc = classifier.equals("gmp") ? Double.NEGATIVE_INFINITY : 0.0;
        for (int t = 0; t < tokens; t++) {
          double v = encoded.get(b, t, c);
          acc = classifier.equals("gmp") ? Math.max(acc, v) : acc + v;
        }
        switch (classifier) {
          case "gap" -> y.set(acc / tokens, b, c);
          case "gmp", "gsp" -> y.set(acc, b, c);
          default -> throw new IllegalArgumentException("unknown classifier " + classifier);
        }
      }
    }
    return y;
  }

  /**
   * The whole {@code TokenLearnerViT} inference forward pass: stem, {@code Transformer} ({@link
   * #encoderModFuser} when {@code useFuser}, else {@link #encoderMod}), pooling, optional {@code
   * pre_logits} + tanh, {@code output_projection}.
   *
   * @param x image {@code [n, H, W, C]} or video {@code [n, T, H, W, C]}
   * @param params parameters keyed by Flax path (the checkpoint's {@code params} tree)
   * @param config model settings; D and H are checked against the parameter shapes
   * @return encoded tokens, pooled features and logits
   */
  public static Output forward(Nd x, Map<String, HostArray> params, ReferenceConfig config) {
    Nd query =
        param(params, "Transformer/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel");
    requireShape(query, "query kernel", config.hidden(), config.heads(), config.headDim());
    Embedded e = embed(x, params, config);
    Nd encoded =
        config.useFuser()
            ? encoderModFuser(e.tokens(), e.temporalDims(), params, config)
            : encoderMod(e.tokens(), e.temporalDims(), params, config);
    Nd pooled = pool(encoded, config.classifier());
    Nd pre = pooled;
    if (config.representationSize() != null) {
      pre = tanh(dense(pooled, params, "pre_logits"));
      requireShape(pre, "pre_logits output", pooled.dim(0), config.representationSize());
    }
    Nd logits = dense(pre, params, "output_projection");
    return new Output(encoded, pooled, logits);
  }
}
