package dev.tokenlearner.train;

import dev.tokenlearner.config.LossScaleConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.PathScope;
import dev.tokenlearner.ops.WeightIo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * Dynamic loss scaling for float16 training, as mixed-precision trainers do it (Keras' {@code
 * LossScaleOptimizer}, jmp's {@code DynamicLossScale}): the loss is multiplied by {@code scale}
 * before the backward pass so that small float16 gradients do not flush to zero, and the gradients
 * are divided by it again before clipping and the update.
 *
 * <p>After each step: non-finite gradients halve the scale (never below 1), reset the count of good
 * steps, and the caller skips the update; otherwise the count grows, and at {@code growthSteps} the
 * scale doubles and the count restarts. Scale and count are float32 variables of the train state
 * ({@link #KEYS}), saved with checkpoints so a resumed run continues exactly.
 */
final class LossScale {

  /** Name scope of the variables and their I/O ops. */
  static final String SCOPE = "loss_scale";

  /** The scale's key in {@link #read} and {@link #load}. */
  static final String SCALE = "scale";

  /** The good-step count's key. */
  static final String GOOD_STEPS = "good_steps";

  /** The keys of the saved state. */
  static final List<String> KEYS = List.of(SCALE, GOOD_STEPS);

  private final LossScaleConfig config;
  private final Variable<TFloat32> scale;
  private final Variable<TFloat32> goodSteps;
  private final Operand<TFloat32> scaleValue;
  private final Operand<TFloat32> goodStepsValue;
  private final WeightIo io;

  /**
   * Creates the two scalar variables in {@code tf}'s graph.
   *
   * @param tf the graph's root ops
   * @param config the initial scale and growth interval
   */
  LossScale(Ops tf, LossScaleConfig config) {
    this.config = config;
    Ops at = PathScope.at(PathScope.of(tf), SCOPE);
    Ops init = at.withInitScope();
    scale = at.withName(SCALE).variable(init.constant((float) config.initialScale()));
    goodSteps = at.withName(GOOD_STEPS).variable(init.constant(0f));
    scaleValue = at.identity(scale);
    goodStepsValue = at.identity(goodSteps);
    io = new WeightIo(tf, SCOPE + "_io", "loss-scale state");
    io.add(SCALE, new long[0], scale, scaleValue);
    io.add(GOOD_STEPS, new long[0], goodSteps, goodStepsValue);
  }

  /** The current scale (the variable's read). */
  Operand<TFloat32> scale() {
    return scaleValue;
  }

  /** {@code loss * scale}: differentiate this instead of the loss. */
  Operand<TFloat32> scaled(Ops tf, Operand<TFloat32> loss, Operand<TFloat32> scale) {
    return tf.math.mul(loss, scale);
  }

  /** Each gradient of the scaled loss divided by {@code scale}. */
  List<Operand<TFloat32>> unscaled(
      Ops tf, List<? extends Operand<TFloat32>> grads, Operand<TFloat32> scale) {
    Operand<TFloat32> inverse = tf.math.reciprocal(scale);
    List<Operand<TFloat32>> out = new ArrayList<>();
    for (Operand<TFloat32> g : grads) {
      out.add(tf.math.mul(g, inverse));
    }
    return out;
  }

  /**
   * Whether all gradients are finite, from their global norm: an infinite or NaN element makes the
   * sum of squares infinite or NaN (a finite norm above float32's range, ~1.8e19, counts as an
   * overflow too, which it is).
   */
  static Operand<TBool> allFinite(Ops tf, Operand<TFloat32> globalNorm) {
    return tf.math.isFinite(globalNorm);
  }

  /**
   * The assigns of the next scale and count, to run after every read of this step (the caller's
   * control dependencies).
   *
   * @param after ops carrying the control dependencies
   * @param finite whether this step's gradients were finite
   * @return the two assigns
   */
  List<Op> update(Ops after, Operand<TBool> finite) {
    Operand<TFloat32> one = after.constant(1f);
    Operand<TFloat32> counted = after.math.add(goodStepsValue, one);
    Operand<TBool> grow =
        after.math.greaterEqual(counted, after.constant((float) config.growthSteps()));
    // float32 tops out near 3.4e38; 2^64 is far beyond any useful float16 scale.
    Operand<TFloat32> doubled =
        after.math.minimum(after.math.mul(scaleValue, after.constant(2f)), after.constant(0x1p64f));
    Operand<TFloat32> halved =
        after.math.maximum(after.math.mul(scaleValue, after.constant(0.5f)), one);
    Operand<TFloat32> nextScale =
        after.select(finite, after.select(grow, doubled, scaleValue), halved);
    Operand<TFloat32> nextCount =
        after.select(finite, after.select(grow, after.constant(0f), counted), after.constant(0f));
    return List.of(after.assign(scale, nextScale), after.assign(goodSteps, nextCount));
  }

  /** The fresh state: the initial scale and no good steps. */
  void initialize(Session session) {
    load(session, initialState());
  }

  /** The initial state, as {@link #read} gives it. */
  Map<String, HostArray> initialState() {
    Map<String, HostArray> m = new LinkedHashMap<>();
    m.put(SCALE, new HostArray(new long[0], new float[] {(float) config.initialScale()}));
    m.put(GOOD_STEPS, new HostArray(new long[0], new float[] {0f}));
    return m;
  }

  /** The current scale and count by {@link #KEYS}. */
  Map<String, HostArray> read(Session session) {
    return io.read(session);
  }

  /**
   * Sets scale and count.
   *
   * @throws IllegalArgumentException if a key is missing or not a scalar
   */
  void load(Session session, Map<String, HostArray> state) {
    io.load(session, state);
  }
}
