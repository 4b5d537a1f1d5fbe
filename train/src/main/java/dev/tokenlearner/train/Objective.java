package dev.tokenlearner.train;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.graph.ModelOutputs;
import dev.tokenlearner.ops.Parameter;
import java.util.List;
import java.util.Optional;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * What Scenic's {@code train_step} differentiates ({@code training_loss_fn}) and reports: the mean
 * training loss of the batch (label smoothing; under mixup against the mixed one-hot labels, as
 * Scenic mixes them before its loss smooths them) plus {@code 0.5 * l2_decay_factor * sum(w^2)}
 * over parameters of rank above 1, and the number of correct top-1 predictions (Scenic's training
 * accuracy, against the mixed labels under mixup).
 *
 * @param loss float32 scalar: the loss the gradients are taken of
 * @param correct float32 scalar count of this batch's correct predictions
 */
record Objective(Operand<TFloat32> loss, Operand<TFloat32> correct) {

  /**
   * Builds the objective of a training tower.
   *
   * @param t where to build
   * @param cfg the experiment (loss, classes, {@code label_smoothing}, {@code l2_decay_factor})
   * @param out the tower's outputs
   * @param labels {@code [b]} int32 class indices
   * @param mixup the batch's mixing, if on
   * @param params the model's parameters (for the L2 term)
   * @return loss and correct count
   */
  static Objective build(
      Ops t,
      ExperimentConfig cfg,
      ModelOutputs out,
      Operand<TInt32> labels,
      Optional<Mixup> mixup,
      List<Parameter> params) {
    Operand<TFloat32> loss;
    Operand<TFloat32> correct;
    if (mixup.isPresent()) {
      Operand<TFloat32> mixed =
          mixup.get().mixTargets(t, Losses.oneHot(t, labels, cfg.numClasses()));
      loss =
          Losses.mean(
              t,
              cfg.modelName(),
              out.logits(),
              Losses.smooth(t, mixed, cfg.numClasses(), cfg.train().labelSmoothing()));
      correct = Losses.correct(t, cfg.modelName(), out.logits(), mixed);
    } else {
      loss =
          Losses.mean(
              t,
              cfg.modelName(),
              out.logits(),
              labels,
              cfg.numClasses(),
              cfg.train().labelSmoothing());
      correct = Losses.correct(t, out.logits(), labels);
    }
    if (cfg.train().l2DecayFactor().isPresent()) {
      // Scenic's l2_regularization, inside the differentiated loss.
      loss =
          t.math.add(
              loss,
              t.math.mul(
                  t.constant((float) (0.5 * cfg.train().l2DecayFactor().getAsDouble())),
                  Losses.sumOfSquares(t, Losses.l2Regularized(params))));
    }
    return new Objective(loss, correct);
  }
}
