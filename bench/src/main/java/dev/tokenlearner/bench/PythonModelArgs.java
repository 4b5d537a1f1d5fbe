package dev.tokenlearner.bench;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.LrConfig;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.train.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The command-line arguments of {@code vit_xla_reference.py} that make the Python model and
 * training step those of an experiment: sizes, dropout, the loss of its {@code model_name}, the
 * optimizer (Adam or AdamW), {@code max_grad_norm} and the learning-rate schedule.
 */
final class PythonModelArgs {

  private PythonModelArgs() {}

  /**
   * The arguments for one script run.
   *
   * @param e the experiment (a plain ViT or TokenLearner v1.1 without fuser, image input)
   * @param batch batch size
   * @param kind forward pass or training step
   * @return the arguments, without the script's own timing or check options
   * @throws IllegalArgumentException if the experiment uses something the script does not build
   */
  static List<String> of(ExperimentConfig e, int batch, ModelRunner.Kind kind) {
    ModelConfig m = e.model();
    TokenizerConfig tok = m.tokenizer();
    if (tok.useTokenfuse() || (tok.type().learnsTokens() && !tok.useV11())) {
      throw new IllegalArgumentException(
          e.source() + ": the Python reference builds TokenLearner v1.1 without TokenFuser only");
    }
    if (m.representationSize().isPresent() || e.input().isVideo()) {
      throw new IllegalArgumentException(
          e.source() + ": the Python reference has no pre_logits and takes images only");
    }
    if (tok.patchSize()[0] != tok.patchSize()[1] || e.input().height() != e.input().width()) {
      throw new IllegalArgumentException(e.source() + ": the Python reference needs square sizes");
    }
    boolean tl = tok.type().learnsTokens();
    List<String> a = new ArrayList<>();
    add(a, "width", m.hiddenSize());
    add(a, "heads", m.numHeads());
    add(a, "mlp", m.mlpDim());
    add(a, "layers", m.numLayers());
    add(a, "tokens", tl ? tok.numTokens() : 0);
    add(a, "loc", tl ? tok.tokenlearnerLoc() : 0);
    add(a, "classes", e.input().numClasses());
    add(a, "side", e.input().height());
    add(a, "patch", tok.patchSize()[0]);
    add(a, "batch", batch);
    a.add("--kind");
    a.add(kind == ModelRunner.Kind.FORWARD ? "forward" : "train");
    add(a, "dropout", m.dropoutRate());
    add(a, "attention-dropout", m.attentionDropoutRate());
    if (kind == ModelRunner.Kind.TRAIN_STEP) {
      training(e, a);
    }
    return List.copyOf(a);
  }

  private static void training(ExperimentConfig e, List<String> a) {
    OptimizerSpec spec = OptimizerSpec.of(e);
    if (!spec.isAdam()
        || spec.explicitWeightDecay().isPresent()
        || spec.l2DecayFactor().isPresent()
        || e.train().labelSmoothing().isPresent()) {
      throw new IllegalArgumentException(
          e.source()
              + ": the Python reference trains with adam/adamw only, without label smoothing,"
              + " explicit_weight_decay or l2_decay_factor");
    }
    LrConfig lr =
        e.train()
            .lrConfigs()
            .orElseThrow(() -> new IllegalArgumentException(e.source() + ": no lr_configs"));
    for (String f : lr.factors()) {
      if (!List.of("constant", "linear_warmup", "linear_decay").contains(f)) {
        throw new IllegalArgumentException(
            e.source() + ": the Python reference has no learning-rate factor '" + f + "'");
      }
    }
    a.add("--loss");
    a.add(e.modelName().multilabel() ? "sigmoid" : "softmax");
    a.add("--optimizer");
    a.add(spec.kind());
    add(a, "beta1", spec.beta1());
    add(a, "beta2", spec.beta2());
    add(a, "eps", spec.epsilon());
    add(a, "weight-decay", spec.weightDecay());
    // No clipping is the same as a threshold no norm reaches.
    add(a, "max-grad-norm", spec.maxGradNorm().orElse(Double.MAX_VALUE));
    a.add("--lr-factors");
    a.add(String.join("*", lr.factors()));
    add(a, "lr-base", lr.baseLearningRate());
    add(a, "lr-warmup", lr.warmupSteps());
    add(a, "lr-warmup-alpha", lr.warmupAlpha());
    add(a, "lr-total", lr.totalSteps().orElse(1L));
    add(a, "lr-end", lr.endLearningRate());
  }

  private static void add(List<String> a, String name, long value) {
    a.add("--" + name);
    a.add(Long.toString(value));
  }

  private static void add(List<String> a, String name, double value) {
    a.add("--" + name);
    a.add(String.format(Locale.ROOT, "%.17g", value));
  }
}
