package dev.tokenlearner.graph.flops;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.TemporalEncodingMethod;
import dev.tokenlearner.config.TokenGrid;
import dev.tokenlearner.config.TokenizerConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Analytic FLOPs and parameters of a {@code TokenLearnerViT} config, per layer and in total, and
 * the parameter tree (paths and shapes) Scenic's model has for it.
 *
 * <p>Counting rules, per example (batch 1), inference:
 *
 * <ul>
 *   <li>A multiply-add is {@value #FLOPS_PER_MAC} FLOPs; a Dense of {@code n} tokens {@code in ->
 *       out} costs {@code 2·n·in·out} plus {@code n·out} for the bias. Convolutions likewise
 *       (kernel volume × input channels MACs per output element).
 *   <li>Attention over {@code n} tokens: q, k, v and out projections; scaling q ({@code n·D});
 *       logits and the weighted sum ({@code 2·n²·D} each); softmax over {@code H·n²} logits.
 *   <li>Element-wise ops are counted with fixed per-element costs: LayerNorm {@value
 *       #LAYER_NORM_FLOPS}, gelu (tanh form) {@value #GELU_FLOPS}, softmax {@value #SOFTMAX_FLOPS},
 *       sigmoid {@value #SIGMOID_FLOPS}, tanh {@value #TANH_FLOPS}, add 1. They are under 1% of a
 *       ViT-B.
 *   <li>TokenLearner and TokenFuser run per frame ({@code t_dims} times on {@code N / t_dims}
 *       tokens); encoder blocks after a TokenLearner see {@code t_dims · num_tokens} tokens, or,
 *       with TokenFuser, learned tokens inside the block and the full grid restored after it.
 *   <li>Dropout, stochastic depth and reshapes are free.
 * </ul>
 *
 * <p>Sanity anchor: ViT-B/16 at 224² (gap) is 17.47 GMACs, so about 35 GFLOPs here.
 */
public final class FlopCounter {

  /** FLOPs per multiply-add. */
  public static final int FLOPS_PER_MAC = 2;

  /** FLOPs per element of a Flax LayerNorm: sum, square, sum, subtract, two multiplies, add. */
  public static final int LAYER_NORM_FLOPS = 7;

  /** FLOPs per element of tanh-approximate gelu (x³ as 2 multiplies, 5 more arithmetic, tanh). */
  public static final int GELU_FLOPS = 9;

  /** FLOPs per element of a softmax: max, subtract, exp, sum, divide. */
  public static final int SOFTMAX_FLOPS = 5;

  /** FLOPs per element of a sigmoid: negate, exp, add, divide. */
  public static final int SIGMOID_FLOPS = 4;

  /** FLOPs per element of tanh. */
  public static final int TANH_FLOPS = 1;

  /** Bottleneck width of TokenLearner v1.1 and TokenFuser MLPs (fixed in Scenic). */
  public static final int BOTTLENECK_DIM = 64;

  /** Kernel side of TokenLearner v1's convolutions. */
  public static final int V1_KERNEL = 3;

  // The parameter names are spelled here independently of the model builder on purpose: this
  // tree is the reference the built graph is checked against, and it is itself checked against
  // the fixtures' params_manifest.txt files.
  private static final String TRANSFORMER = "Transformer";
  private static final String EMBEDDING = "embedding";
  private static final String POSEMBED = "Transformer/posembed_input";
  private static final String ENCODER_NORM = "Transformer/encoder_norm";
  private static final String PRE_LOGITS = "pre_logits";
  private static final String OUTPUT_PROJECTION = "output_projection";
  private static final String POOL = "pool";

  private FlopCounter() {}

  /**
   * Counts FLOPs and parameters of the config and of the plain ViT of the same dimensions.
   *
   * @param config the experiment
   * @return the per-layer report with totals and the plain-ViT comparison
   */
  public static FlopReport count(ExperimentConfig config) {
    List<LayerCost> layers = layers(config);
    List<LayerCost> plain = layers(config.withoutTokenLearner());
    return new FlopReport(
        layers,
        layers.stream().mapToLong(LayerCost::flops).sum(),
        layers.stream().mapToLong(LayerCost::params).sum(),
        plain.stream().mapToLong(LayerCost::flops).sum(),
        plain.stream().mapToLong(LayerCost::params).sum());
  }

  /**
   * Total parameters: the sum of the sizes in {@link #expectedParamShapes}.
   *
   * @param config the experiment
   * @return the number of float parameters
   */
  public static long parameterCount(ExperimentConfig config) {
    long total = 0;
    for (long[] shape : expectedParamShapes(config).values()) {
      total += size(shape);
    }
    return total;
  }

  /**
   * The full parameter tree of Scenic's {@code TokenLearnerViT} for this config (spec §1.4):
   * '/'-joined Flax paths to shapes, in the sorted order Flax writes them. A fresh map each call.
   *
   * @param config the experiment
   * @return path to shape, sorted by path
   */
  public static SortedMap<String, long[]> expectedParamShapes(ExperimentConfig config) {
    ModelConfig m = config.model();
    TokenizerConfig t = m.tokenizer();
    InputSpec in = config.input();
    TokenGrid g = config.tokenGrid();
    long d = m.hiddenSize();
    long k = t.numTokens();
    TreeMap<String, long[]> p = new TreeMap<>();

    boolean conv3d = usesConv3d(t);
    p.put(
        EMBEDDING + "/kernel",
        conv3d
            ? new long[] {t.patchT(), t.patchH(), t.patchW(), in.channels(), d}
            : new long[] {t.patchH(), t.patchW(), in.channels(), d});
    p.put(EMBEDDING + "/bias", new long[] {d});
    p.put(POSEMBED + "/pos_embedding", new long[] {1, g.sequenceLength(), d});
    for (int i = 0; i < m.numLayers(); i++) {
      String b = TRANSFORMER + "/encoderblock_" + i;
      layerNorm(p, b + "/LayerNorm_0", d);
      String a = b + "/MultiHeadDotProductAttention_0";
      long h = m.numHeads();
      long hd = m.headDim();
      for (String qkv : new String[] {"query", "key", "value"}) {
        p.put(a + "/" + qkv + "/kernel", new long[] {d, h, hd});
        p.put(a + "/" + qkv + "/bias", new long[] {h, hd});
      }
      p.put(a + "/out/kernel", new long[] {h, hd, d});
      p.put(a + "/out/bias", new long[] {d});
      layerNorm(p, b + "/LayerNorm_1", d);
      dense(p, b + "/MlpBlock_0/Dense_0", d, m.mlpDim());
      dense(p, b + "/MlpBlock_0/Dense_1", m.mlpDim(), d);
    }
    for (int j = 0; j < m.tokenLearnerCount(); j++) {
      String tl = tokenLearnerName(t, j);
      layerNorm(p, tl + "/LayerNorm_0", d);
      if (t.useV11()) {
        dense(p, tl + "/token_masking/Dense_0", d, BOTTLENECK_DIM);
        dense(p, tl + "/token_masking/Dense_1", BOTTLENECK_DIM, k);
      } else {
        p.put(tl + "/Conv_0/kernel", new long[] {V1_KERNEL, V1_KERNEL, d, k});
        for (int c = 1; c <= 3; c++) {
          p.put(tl + "/Conv_" + c + "/kernel", new long[] {V1_KERNEL, V1_KERNEL, k, k});
        }
      }
      if (t.useTokenfuse()) {
        String f = TRANSFORMER + "/TokenFuser_" + j;
        layerNorm(p, f + "/fuser_mix_norm1", d);
        dense(p, f + "/Dense_0", k, k);
        layerNorm(p, f + "/fuser_mix_norm2", d);
        layerNorm(p, f + "/LayerNorm_0", d);
        dense(p, f + "/token_masking/Dense_0", d, BOTTLENECK_DIM);
        dense(p, f + "/token_masking/Dense_1", BOTTLENECK_DIM, k);
      }
    }
    layerNorm(p, ENCODER_NORM, d);
    long headIn = d;
    if (m.representationSize().isPresent()) {
      headIn = m.representationSize().getAsInt();
      dense(p, PRE_LOGITS, d, headIn);
    }
    dense(p, OUTPUT_PROJECTION, headIn, config.numClasses());
    return p;
  }

  /**
   * Per-step costs in forward order, with parameters grouped by tree prefix so that they add up to
   * {@link #parameterCount}.
   *
   * @param config the experiment
   * @return the steps
   */
  public static List<LayerCost> layers(ExperimentConfig config) {
    ModelConfig m = config.model();
    TokenizerConfig t = m.tokenizer();
    InputSpec in = config.input();
    TokenGrid g = config.tokenGrid();
    SortedMap<String, long[]> shapes = expectedParamShapes(config);
    long d = m.hiddenSize();
    long k = t.numTokens();
    long frames = g.tDims();
    long perFrame = g.tokensPerFrame();
    long n = g.sequenceLength();
    long learned = frames * k;

    List<LayerCost> out = new ArrayList<>();
    long kernelVolume = (long) t.patchH() * t.patchW() * (usesConv3d(t) ? t.patchT() : 1);
    long embed = FLOPS_PER_MAC * n * kernelVolume * in.channels() * d + n * d;
    out.add(cost(EMBEDDING, n, embed, shapes));
    out.add(cost(POSEMBED, n, n * d, shapes));

    long seq = n;
    int loc = t.tokenlearnerLoc();
    for (int lyr = 0; lyr < m.numLayers(); lyr++) {
      String block = TRANSFORMER + "/encoderblock_" + lyr;
      if (m.layerUsesLearnedTokens(lyr) && t.useTokenfuse()) {
        int j = lyr - loc;
        out.add(cost(tokenLearnerName(t, j), n, frames * tokenLearner(m, perFrame), shapes));
        out.add(cost(block, learned, block(m, learned), shapes));
        out.add(
            cost(TRANSFORMER + "/TokenFuser_" + j, n, frames * tokenFuser(m, perFrame), shapes));
      } else {
        if (m.hasTokenLearner() && lyr == loc) {
          out.add(cost(tokenLearnerName(t, 0), seq, frames * tokenLearner(m, perFrame), shapes));
          seq = learned;
        }
        out.add(cost(block, seq, block(m, seq), shapes));
      }
    }
    out.add(cost(ENCODER_NORM, seq, LAYER_NORM_FLOPS * seq * d, shapes));
    out.add(cost(POOL, seq, seq * d, shapes));
    long headIn = d;
    if (m.representationSize().isPresent()) {
      long r = m.representationSize().getAsInt();
      out.add(cost(PRE_LOGITS, 1, dense(1, d, r) + TANH_FLOPS * r, shapes));
      headIn = r;
    }
    out.add(cost(OUTPUT_PROJECTION, 1, dense(1, headIn, config.numClasses()), shapes));
    return Collections.unmodifiableList(out);
  }

  // ------------------------------------------------------------------ FLOPs of the pieces

  /** A Dense on {@code n} tokens with bias. */
  private static long dense(long n, long in, long outFeatures) {
    return FLOPS_PER_MAC * n * in * outFeatures + n * outFeatures;
  }

  private static long layerNorm(long n, long d) {
    return LAYER_NORM_FLOPS * n * d;
  }

  /** One pre-LN encoder block on {@code n} tokens. */
  private static long block(ModelConfig m, long n) {
    long d = m.hiddenSize();
    long mlp = m.mlpDim();
    long attention =
        3 * dense(n, d, d) // q, k, v
            + n * d // q / sqrt(head_dim)
            + FLOPS_PER_MAC * n * n * d // logits, all heads
            + (long) SOFTMAX_FLOPS * m.numHeads() * n * n
            + FLOPS_PER_MAC * n * n * d // weights · values
            + dense(n, d, d); // out
    long mlpBlock = dense(n, d, mlp) + GELU_FLOPS * n * mlp + dense(n, mlp, d);
    return layerNorm(n, d) + attention + n * d + layerNorm(n, d) + mlpBlock + n * d;
  }

  /** One TokenLearner on one frame of {@code s} tokens. */
  private static long tokenLearner(ModelConfig m, long s) {
    long d = m.hiddenSize();
    long k = m.tokenizer().numTokens();
    long pooling = FLOPS_PER_MAC * k * s * d; // [k, s] x [s, d]
    if (m.tokenizer().useV11()) {
      return layerNorm(s, d)
          + dense(s, d, BOTTLENECK_DIM)
          + GELU_FLOPS * s * BOTTLENECK_DIM
          + dense(s, BOTTLENECK_DIM, k)
          + SOFTMAX_FLOPS * k * s
          + pooling;
    }
    long window = (long) V1_KERNEL * V1_KERNEL;
    return layerNorm(s, d)
        + FLOPS_PER_MAC * s * window * d * k // Conv_0, no bias
        + 3 * FLOPS_PER_MAC * s * window * k * k // Conv_1..3
        + 3 * GELU_FLOPS * s * k
        + SIGMOID_FLOPS * s * k
        + pooling; // sum of f * mask over s
  }

  /** One TokenFuser mapping {@code k} tokens back onto one frame of {@code s} tokens. */
  private static long tokenFuser(ModelConfig m, long s) {
    long d = m.hiddenSize();
    long k = m.tokenizer().numTokens();
    return layerNorm(k, d) // fuser_mix_norm1
        + dense(d, k, k) // Dense_0 over the token axis
        + layerNorm(k, d) // fuser_mix_norm2
        + layerNorm(s, d) // LayerNorm_0 on the original tokens
        + dense(s, d, BOTTLENECK_DIM)
        + GELU_FLOPS * s * BOTTLENECK_DIM
        + dense(s, BOTTLENECK_DIM, k)
        + SIGMOID_FLOPS * s * k
        + FLOPS_PER_MAC * s * k * d // mix · tokens
        + s * d; // residual add
  }

  // ------------------------------------------------------------------ tree helpers

  private static boolean usesConv3d(TokenizerConfig t) {
    return t.temporalEncoding()
        .map(te -> te.method() == TemporalEncodingMethod.THREE_D_CONV)
        .orElse(false);
  }

  private static String tokenLearnerName(TokenizerConfig t, int j) {
    return TRANSFORMER + (t.useV11() ? "/TokenLearnerModuleV11_" : "/TokenLearnerModule_") + j;
  }

  private static void layerNorm(Map<String, long[]> p, String prefix, long d) {
    p.put(prefix + "/scale", new long[] {d});
    p.put(prefix + "/bias", new long[] {d});
  }

  private static void dense(Map<String, long[]> p, String prefix, long in, long outFeatures) {
    p.put(prefix + "/kernel", new long[] {in, outFeatures});
    p.put(prefix + "/bias", new long[] {outFeatures});
  }

  private static LayerCost cost(
      String name, long tokens, long flops, SortedMap<String, long[]> shapes) {
    long params = 0;
    for (Map.Entry<String, long[]> e : shapes.subMap(name + "/", name + "0").entrySet()) {
      params += size(e.getValue());
    }
    return new LayerCost(name, Math.toIntExact(tokens), flops, params);
  }

  private static long size(long[] shape) {
    long s = 1;
    for (long v : shape) {
      s *= v;
    }
    return s;
  }
}
