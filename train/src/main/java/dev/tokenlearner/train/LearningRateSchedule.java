package dev.tokenlearner.train;

import dev.tokenlearner.config.LrConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * Scenic's {@code compound} learning-rate schedule as graph ops of the global step, so the rate is
 * a tensor of the training graph rather than a constant.
 *
 * <p>Factors multiply left to right from 1 ({@code lr_schedules.compound_lr_scheduler}):
 *
 * <ul>
 *   <li>{@code constant}: {@code base_learning_rate};
 *   <li>{@code linear_warmup}: {@code min(1, warmup_alpha + step (1 - warmup_alpha) /
 *       warmup_steps)} (1 when {@code warmup_steps = 0});
 *   <li>{@code linear_decay}: {@code ratio = (ratio - end) max(1 - p, 0) + end}, {@code p = max(0,
 *       (step - warmup) / (total - warmup))};
 *   <li>{@code cosine_decay}: {@code (1 - alpha) max(0, (1 + cos(pi frac(s / c))) / 2) + alpha}
 *       with {@code s = max(0, step - warmup)} and the cycle {@code c = steps_per_cycle -
 *       int(warmup / (total / steps_per_cycle))};
 *   <li>{@code rsqrt_decay}: {@code sqrt(timescale) / sqrt(step + timescale - warmup)} once {@code
 *       step > warmup}, else 1.
 * </ul>
 *
 * Computed in float64 and returned as float32, as Scenic returns it.
 */
public final class LearningRateSchedule {

  private LearningRateSchedule() {}

  /**
   * Builds the learning rate of a step.
   *
   * @param tf where to build
   * @param lr the schedule's config
   * @param step the global step (0-based: the rate used by the update that makes step+1)
   * @return a float32 scalar
   */
  public static Operand<TFloat32> build(Ops tf, LrConfig lr, Operand<TInt64> step) {
    Operand<TFloat64> s = tf.dtypes.cast(step, TFloat64.class);
    Operand<TFloat64> ratio = tf.constant(1.0);
    double warmup = lr.warmupSteps();
    for (String name : lr.factors()) {
      switch (name) {
        case "constant" -> ratio = tf.math.mul(ratio, tf.constant(lr.baseLearningRate()));
        case "linear_warmup" -> {
          if (warmup > 0) {
            double a = lr.warmupAlpha();
            Operand<TFloat64> w =
                tf.math.add(tf.constant(a), tf.math.mul(s, tf.constant((1.0 - a) / warmup)));
            ratio = tf.math.mul(ratio, tf.math.minimum(tf.constant(1.0), w));
          }
        }
        case "linear_decay" -> {
          double total = lr.totalSteps().orElseThrow();
          double end = lr.endLearningRate();
          Operand<TFloat64> progress =
              tf.math.maximum(
                  tf.constant(0.0),
                  tf.math.div(tf.math.sub(s, tf.constant(warmup)), tf.constant(total - warmup)));
          Operand<TFloat64> keep =
              tf.math.maximum(tf.math.sub(tf.constant(1.0), progress), tf.constant(0.0));
          ratio =
              tf.math.add(
                  tf.math.mul(tf.math.sub(ratio, tf.constant(end)), keep), tf.constant(end));
        }
        case "cosine_decay" -> {
          double cycle = lr.stepsPerCycle().orElseThrow();
          double total = lr.totalSteps().isPresent() ? lr.totalSteps().getAsLong() : cycle;
          double effective = cycle - (long) (warmup / (total / cycle));
          Operand<TFloat64> adjusted =
              tf.math.maximum(tf.constant(0.0), tf.math.sub(s, tf.constant(warmup)));
          Operand<TFloat64> progress = tf.math.div(adjusted, tf.constant(effective));
          progress = tf.math.sub(progress, tf.math.floor(progress));
          Operand<TFloat64> cosine =
              tf.math.maximum(
                  tf.constant(0.0),
                  tf.math.mul(
                      tf.constant(0.5),
                      tf.math.add(
                          tf.constant(1.0),
                          tf.math.cos(tf.math.mul(tf.constant(Math.PI), progress)))));
          double alpha = lr.alpha();
          ratio =
              tf.math.mul(
                  ratio,
                  tf.math.add(tf.math.mul(tf.constant(1 - alpha), cosine), tf.constant(alpha)));
        }
        case "rsqrt_decay" -> {
          double timescale = lr.timescale();
          Operand<TFloat64> decayed =
              tf.math.div(
                  tf.constant(Math.sqrt(timescale)),
                  tf.math.sqrt(tf.math.add(s, tf.constant(timescale - warmup))));
          ratio =
              tf.math.mul(
                  ratio,
                  tf.select(tf.math.greater(s, tf.constant(warmup)), decayed, tf.constant(1.0)));
        }
        default ->
            throw new IllegalArgumentException("unsupported learning-rate factor '" + name + "'");
      }
    }
    return tf.dtypes.cast(ratio, TFloat32.class);
  }
}
