package dev.tokenlearner.train;

import dev.tokenlearner.config.OptimizerKind;
import dev.tokenlearner.config.OptimizerSpec;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Parameter;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * One optimizer's own part of the update, in the shape of TF Java framework's {@code Optimizer}:
 * the slots each parameter gets ({@code createSlots}), what a step's updates share ({@code
 * prepare}), the update of one parameter ({@code applyDense}), and the optax state tree Scenic's
 * checkpoints hold for it. {@link OptimizerGraph} does what all optimizers share: the slot
 * variables, {@code w -= lr * u}, {@code explicit_weight_decay}, skipping a non-finite float16 step
 * and the assigns.
 *
 * <p>The math is optax's (not TF's {@code ApplyAdam}, whose epsilon sits elsewhere), so a Scenic
 * checkpoint resumes exactly. There is one rule per {@link OptimizerKind}, chosen by {@link #of}.
 */
interface UpdateRule {

  /**
   * The rule of an optimizer.
   *
   * @param spec the optimizer
   * @return its rule
   */
  static UpdateRule of(OptimizerSpec spec) {
    // No default: a new OptimizerKind does not compile until it has a rule.
    return switch (spec.kind()) {
      case ADAM -> new AdamRule(spec);
      case ADAMW -> new AdamWRule(spec);
      case SGD -> new SgdRule(spec);
    };
  }

  /**
   * The slots each parameter gets, zero-initialised ({@code createSlots}).
   *
   * @return slot names, which are also their keys in the optax state, e.g. {@code [mu, nu]}
   */
  List<String> slotNames();

  /**
   * Builds what all parameters' updates of a step share, e.g. Adam's bias corrections ({@code
   * prepare}).
   *
   * @param tf where to build
   * @param count optax's {@code count} after this step ({@code t + 1}), as a float32 scalar
   * @return the per-parameter update of this step
   */
  Dense prepare(Ops tf, Operand<TFloat32> count);

  /** The update of one parameter ({@code applyDense}). */
  @FunctionalInterface
  interface Dense {
    /**
     * Builds one parameter's update.
     *
     * @param tf where to build
     * @param param the parameter: its value {@code w}, shape and role
     * @param grad its gradient after clipping
     * @param slots its slots' current values, by {@link #slotNames()}
     * @return the direction {@code u} (the caller applies {@code w -= lr * u}) and the slots' new
     *     values
     */
    ParamUpdate apply(
        Ops tf, Parameter param, Operand<TFloat32> grad, Map<String, Operand<TFloat32>> slots);
  }

  /**
   * One parameter's update.
   *
   * @param direction {@code u}, the parameter's shape; the parameter moves by {@code -lr * u}
   * @param slots the new value of every slot, by {@link #slotNames()}
   */
  record ParamUpdate(Operand<TFloat32> direction, Map<String, Operand<TFloat32>> slots) {}

  /**
   * The optax state tree Scenic's optimizer would hold for these slot values.
   *
   * @param count optax's counters (the global step)
   * @param slotValues slot values keyed {@code <slot>/<param path>}
   * @return the tree: nested maps, keys sorted where JAX sorts them
   */
  Map<String, Object> optState(int count, Map<String, HostArray> slotValues);

  /**
   * The slot values held in an optax state tree written by {@link #optState} (or by Scenic with the
   * same optimizer).
   *
   * @param optState the tree
   * @return slot values keyed {@code <slot>/<param path>}
   * @throws IllegalArgumentException naming the path where the tree differs from this optimizer's
   */
  Map<String, HostArray> slotValues(Map<String, Object> optState);
}
