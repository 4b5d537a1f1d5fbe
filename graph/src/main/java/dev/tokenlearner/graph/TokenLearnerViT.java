package dev.tokenlearner.graph;

import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.TemporalEncodingConfig;
import dev.tokenlearner.config.TemporalEncodingMethod;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.config.TokenizerType;
import dev.tokenlearner.ops.AddPositionEmbs;
import dev.tokenlearner.ops.ComputeDtype;
import dev.tokenlearner.ops.Conv;
import dev.tokenlearner.ops.Dense;
import dev.tokenlearner.ops.Dropout;
import dev.tokenlearner.ops.Encoder1DBlock;
import dev.tokenlearner.ops.Initializer;
import dev.tokenlearner.ops.LayerNorm;
import dev.tokenlearner.ops.LearnedTokens;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.Precision;
import dev.tokenlearner.ops.Shapes;
import dev.tokenlearner.ops.TokenFuser;
import dev.tokenlearner.ops.TokenLearnerModule;
import dev.tokenlearner.ops.TokenLearnerModuleV11;
import java.util.Optional;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Max;
import org.tensorflow.op.core.Sum;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * Scenic's {@code TokenLearnerViT}: a ViT (images) or ViViT-style (video) encoder with a
 * TokenLearner at {@code tokenlearner_loc}, optionally with TokenFusers, and a pooled linear head.
 *
 * <p>The parameter tree equals Scenic's ({@code embedding}, {@code Transformer/posembed_input},
 * {@code Transformer/encoderblock_i}, {@code Transformer/TokenLearnerModule[V11]_j}, {@code
 * Transformer/TokenFuser_j}, {@code Transformer/encoder_norm}, optional {@code pre_logits}, {@code
 * output_projection}), so Scenic checkpoints load by path.
 *
 * <p>Inputs: images {@code [b, H, W, C]} or video {@code [b, T, H, W, C]} with a dynamic batch; the
 * spatial (and temporal) size fixes the number of tokens and so {@code pos_embedding}'s shape.
 */
public final class TokenLearnerViT {

  private TokenLearnerViT() {}

  /**
   * Builds the forward pass.
   *
   * @param root the root of the parameter tree
   * @param model the model config
   * @param numClasses width of {@code output_projection}
   * @param inputs {@code [b, H, W, C]} or {@code [b, T, H, W, C]}
   * @param mode inference or training (dropout only in training)
   * @return logits, representation, encoded sequence and learned tokens
   * @throws IllegalArgumentException if the input does not fit the config
   */
  public static ModelOutputs build(
      ModuleScope root, ModelConfig model, int numClasses, Operand<TFloat32> inputs, Mode mode) {
    return build(root, model, numClasses, inputs, mode, ComputeDtype.FLOAT32);
  }

  /**
   * Builds the forward pass computing in {@code dtype} (Scenic's {@code model_dtype_str}): the
   * input is cast to it once, every layer computes in the dtype of its input with its float32
   * parameters cast at use, and the outputs are cast back to float32.
   *
   * @param root the root of the parameter tree
   * @param model the model config
   * @param numClasses width of {@code output_projection}
   * @param inputs {@code [b, H, W, C]} or {@code [b, T, H, W, C]}, float32
   * @param mode inference or training (dropout only in training)
   * @param dtype the compute dtype; {@link ComputeDtype#FLOAT32} builds the plain model
   * @return logits, representation, encoded sequence and learned tokens, all float32
   * @throws IllegalArgumentException if the input does not fit the config
   */
  public static ModelOutputs build(
      ModuleScope root,
      ModelConfig model,
      int numClasses,
      Operand<TFloat32> inputs,
      Mode mode,
      ComputeDtype dtype) {
    Ops tf = root.tf();
    Outputs<? extends TFloating> out =
        forward(root, model, numClasses, Precision.cast(tf, inputs, dtype.type()), mode);
    return new ModelOutputs(
        float32(tf, out.logits()),
        float32(tf, out.representation()),
        float32(tf, out.encoded()),
        out.learnedTokens().map(t -> float32(tf, t)),
        out.tokenMaps().map(t -> float32(tf, t)));
  }

  private static Operand<TFloat32> float32(Ops tf, Operand<? extends TFloating> x) {
    return Precision.cast(tf, x, TFloat32.class);
  }

  private static <T extends TFloating> Outputs<T> forward(
      ModuleScope root, ModelConfig model, int numClasses, Operand<T> inputs, Mode mode) {
    Ops tf = root.tf();
    Tokens<T> stem = embed(root, model, inputs);
    Encoder encoder = new Encoder(model, stem);
    Encoder.Result<T> enc = encoder.apply(root.named(Names.TRANSFORMER), stem.tokens(), mode);
    Operand<T> x = enc.encoded();
    var axis = tf.constant(1);
    // [b, D]: Scenic's classifier is a reduction over the token axis
    Operand<T> pooled =
        switch (model.classifier()) {
          case GAP -> tf.math.mean(x, axis, Mean.keepDims(false));
          case GMP -> tf.max(x, axis, Max.keepDims(false));
          case GSP -> tf.sum(x, axis, Sum.keepDims(false));
        };
    if (model.representationSize().isPresent()) {
      pooled =
          tf.math.tanh(
              Dense.of(model.representationSize().getAsInt())
                  .apply(root.named(Names.PRE_LOGITS), pooled));
    }
    Operand<T> logits =
        Dense.of(numClasses)
            .withInit(Initializer.zeros(), Initializer.zeros())
            .apply(root.named(Names.OUTPUT_PROJECTION), pooled);
    return new Outputs<>(logits, pooled, x, enc.learnedTokens(), enc.tokenMaps());
  }

  /** {@link ModelOutputs} in the compute dtype. */
  private record Outputs<T extends TFloating>(
      Operand<T> logits,
      Operand<T> representation,
      Operand<T> encoded,
      Optional<Operand<T>> learnedTokens,
      Optional<Operand<T>> tokenMaps) {}

  /**
   * The token sequence after the stem, how many frames it spans and the patch grid of one frame.
   */
  record Tokens<T extends TFloating>(Operand<T> tokens, int timeDims, long gridH, long gridW) {}

  /** The patch ({@code patch}/{@code dynamic}) or tubelet/sampled-frame ({@code video}) stem. */
  static <T extends TFloating> Tokens<T> embed(ModuleScope root, ModelConfig model, Operand<T> x) {
    TokenizerConfig tok = model.tokenizer();
    Ops tf = root.tf();
    int d = model.hiddenSize();
    ModuleScope emb = root.named(Names.EMBEDDING);
    if (tok.type() != TokenizerType.VIDEO) {
      long[] s =
          Shapes.requireRank(x, "TokenLearnerViT", "images [batch, height, width, channels]", 4);
      checkFits(s[1], tok.patchH(), "height");
      checkFits(s[2], tok.patchW(), "width");
      Operand<T> y = Conv.patches(d, tok.patchH(), tok.patchW()).apply(emb, x);
      long[] ys = Shapes.of(y);
      // [b, h*w, D]
      return new Tokens<>(Shapes.reshapeBatch(tf, y, ys[1] * ys[2], d), 1, ys[1], ys[2]);
    }
    long[] s =
        Shapes.requireRank(
            x, "TokenLearnerViT", "video [batch, frames, height, width, channels]", 5);
    TemporalEncodingConfig te = tok.temporalEncoding().orElseThrow();
    if (te.method() == TemporalEncodingMethod.THREE_D_CONV) {
      checkFits(s[1], tok.patchT(), "frames");
      checkFits(s[2], tok.patchH(), "height");
      checkFits(s[3], tok.patchW(), "width");
      // Scenic's patches.size is [fh, fw, ft]; the kernel is [ft, fh, fw, C, D]
      Operand<T> y = Conv.patches(d, tok.patchT(), tok.patchH(), tok.patchW()).apply(emb, x);
      long[] ys = Shapes.of(y);
      return new Tokens<>(
          Shapes.reshapeBatch(tf, y, ys[1] * ys[2] * ys[3], d),
          Math.toIntExact(ys[1]),
          ys[2],
          ys[3]);
    }
    int frames = Math.toIntExact(s[1]);
    int[] idx = sampleFramesUniformly(frames, te.nSampledFrames().orElse(frames));
    // [b, t_s, H, W, C] -> frames stacked along height: [b, t_s*H, W, C]
    Operand<T> sampled = tf.gather(x, tf.constant(idx), tf.constant(1));
    Operand<T> stacked = Shapes.reshapeBatch(tf, sampled, idx.length * s[2], s[3], s[4]);
    checkFits(idx.length * s[2], tok.patchH(), "stacked height");
    Operand<T> y = Conv.patches(d, tok.patchH(), tok.patchW()).apply(emb, stacked);
    long[] ys = Shapes.of(y);
    return new Tokens<>(
        Shapes.reshapeBatch(tf, y, ys[1] * ys[2], d), idx.length, ys[1] / idx.length, ys[2]);
  }

  private static void checkFits(long size, int patch, String what) {
    if (size < patch) {
      throw new IllegalArgumentException(
          "input " + what + " " + size + " is smaller than the patch size " + patch);
    }
  }

  /**
   * Scenic's {@code sample_frames_uniformly}: {@code idx = min(round_half_even(arange(start, F,
   * step)), F-1)} with {@code start = step = F/(s+1)} when {@code s < F}, else every frame.
   */
  public static int[] sampleFramesUniformly(int frames, int samples) {
    double start;
    double step;
    if (samples < frames) {
      start = (double) frames / (samples + 1);
      step = start;
    } else {
      start = 0;
      step = 1;
    }
    int n = (int) Math.ceil((frames - start) / step);
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = (int) Math.min(Math.rint(start + i * step), frames - 1);
    }
    return idx;
  }

  /**
   * Scenic's {@code EncoderMod} and {@code EncoderModFuser} as one encoder: plain blocks before
   * {@code tokenlearner_loc}; at it a TokenLearner (EncoderMod), or from it on a TokenLearner,
   * block and TokenFuser with a residual (EncoderModFuser).
   */
  static final class Encoder {
    private final ModelConfig model;
    private final TokenizerConfig tok;
    private final int timeDims;
    private final long gridH;
    private final long gridW;

    /**
     * The encoded sequence and, with a TokenLearner, the first one's tokens {@code [b, t*K, D]} and
     * attention maps ({@code [b, K, h, w]} for one frame, else {@code [b, t, K, h, w]}).
     */
    record Result<T extends TFloating>(
        Operand<T> encoded, Optional<Operand<T>> learnedTokens, Optional<Operand<T>> tokenMaps) {}

    Encoder(ModelConfig model, Tokens<?> stem) {
      this.model = model;
      this.tok = model.tokenizer();
      this.timeDims = stem.timeDims();
      this.gridH = stem.gridH();
      this.gridW = stem.gridW();
    }

    <T extends TFloating> Result<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
      Ops tf = s.tf();
      long d = model.hiddenSize();
      x = new AddPositionEmbs().apply(s.named(Names.POSEMBED_INPUT), x);
      x = new Dropout((float) model.dropoutRate()).apply(s, x, mode);
      Encoder1DBlock block =
          new Encoder1DBlock(
              model.mlpDim(),
              model.numHeads(),
              (float) model.dropoutRate(),
              (float) model.attentionDropoutRate(),
              0f);
      boolean learns = tok.type().learnsTokens();
      int loc = tok.tokenlearnerLoc();
      int k = tok.numTokens();
      Operand<T> learned = null;
      Operand<T> maps = null;
      for (int lyr = 0; lyr < model.numLayers(); lyr++) {
        ModuleScope blockScope = s.named(Names.encoderBlock(lyr));
        if (learns && tok.useTokenfuse() && lyr >= loc) {
          long hw = Shapes.of(x)[1] / timeDims;
          // [b*t, hw, D]
          Operand<T> residual = Shapes.reshapeBatch(tf, x, hw, d);
          LearnedTokens<T> lt = tokenLearner(s, residual, mode);
          // [b, t*K, D]: attention runs over all frames' tokens jointly
          Operand<T> y = Shapes.reshapeBatch(tf, lt.tokens(), (long) timeDims * k, d);
          if (learned == null) {
            learned = y;
            maps = maps(tf, lt.weights());
          }
          y = block.apply(blockScope, y, mode);
          // [b*t, K, D]
          y = Shapes.reshapeBatch(tf, y, k, d);
          var fuser =
              new TokenFuser(TokenFuser.BOTTLENECK_DIM_DEFAULT, (float) model.dropoutRate());
          y = fuser.apply(s.child(fuser), y, residual, mode);
          x = tf.math.add(y, residual);
          // [b, t*hw, D]
          x = Shapes.reshapeBatch(tf, x, timeDims * hw, d);
          continue;
        }
        if (learns && !tok.useTokenfuse() && lyr == loc) {
          long hw = Shapes.of(x)[1] / timeDims;
          LearnedTokens<T> lt = tokenLearner(s, Shapes.reshapeBatch(tf, x, hw, d), mode);
          // [b, t*K, D]
          x = Shapes.reshapeBatch(tf, lt.tokens(), (long) timeDims * k, d);
          learned = x;
          maps = maps(tf, lt.weights());
        }
        x = block.apply(blockScope, x, mode);
      }
      x = LayerNorm.defaults().apply(s.named(Names.ENCODER_NORM), x);
      return new Result<>(x, Optional.ofNullable(learned), Optional.ofNullable(maps));
    }

    /** {@code [b*t, K, h*w]} weights to maps on the patch grid, per frame for video. */
    private <T extends TFloating> Operand<T> maps(Ops tf, Operand<T> weights) {
      long k = tok.numTokens();
      return tok.type() == TokenizerType.VIDEO
          ? Shapes.reshapeBatch(tf, weights, timeDims, k, gridH, gridW)
          : Shapes.reshapeBatch(tf, weights, k, gridH, gridW);
    }

    private <T extends TFloating> LearnedTokens<T> tokenLearner(
        ModuleScope s, Operand<T> x, Mode mode) {
      if (tok.useV11()) {
        var v11 =
            new TokenLearnerModuleV11(
                tok.numTokens(),
                TokenLearnerModuleV11.BOTTLENECK_DIM_DEFAULT,
                (float) model.dropoutRate());
        return v11.learn(s.child(v11), x, mode);
      }
      TokenLearnerModule v1 = TokenLearnerModule.defaults(tok.numTokens());
      return v1.learn(s.child(v1), x, mode);
    }
  }
}
