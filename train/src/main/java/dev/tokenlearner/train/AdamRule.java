package dev.tokenlearner.train;

import dev.tokenlearner.config.OptimizerSpec;
import dev.tokenlearner.core.HostArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * {@code optax.adam}: {@code scale_by_adam}, then the learning rate. At step {@code t} (0-based),
 * {@code c = t + 1}: {@code mu = b1 mu + (1-b1) g}, {@code nu = b2 nu + (1-b2) g^2}, {@code u = (mu
 * / (1-b1^c)) / (sqrt(nu / (1-b2^c)) + eps)}, with {@code eps} outside the square root as optax has
 * it.
 *
 * <p>State: {@code {"0": {"0": {count, mu, nu}, "1": {count}}}}, optax's {@code (ScaleByAdamState,
 * ScaleByScheduleState)} inside Scenic's one-element {@code optax.chain}.
 */
final class AdamRule implements UpdateRule {

  /** Adam's first moment. */
  static final String MU = "mu";

  /** Adam's second moment. */
  static final String NU = "nu";

  private static final List<String> SLOTS = List.of(MU, NU);

  private final float beta1;
  private final float beta2;
  private final float epsilon;

  AdamRule(OptimizerSpec spec) {
    this.beta1 = (float) spec.configs().beta1();
    this.beta2 = (float) spec.configs().beta2();
    this.epsilon = (float) spec.configs().epsilon();
  }

  @Override
  public List<String> slotNames() {
    return SLOTS;
  }

  @Override
  public Dense prepare(Ops u, Operand<TFloat32> count) {
    Operand<TFloat32> biasCorrection1 =
        u.math.sub(u.constant(1f), u.math.pow(u.constant(beta1), count));
    Operand<TFloat32> biasCorrection2 =
        u.math.sub(u.constant(1f), u.math.pow(u.constant(beta2), count));
    return (tf, param, g, slots) -> {
      Operand<TFloat32> mu =
          tf.math.add(
              tf.math.mul(tf.constant(1f - beta1), g),
              tf.math.mul(tf.constant(beta1), slots.get(MU)));
      Operand<TFloat32> nu =
          tf.math.add(
              tf.math.mul(tf.constant(1f - beta2), tf.math.square(g)),
              tf.math.mul(tf.constant(beta2), slots.get(NU)));
      Operand<TFloat32> muHat = tf.math.div(mu, biasCorrection1);
      Operand<TFloat32> nuHat = tf.math.div(nu, biasCorrection2);
      Operand<TFloat32> direction =
          tf.math.div(muHat, tf.math.add(tf.math.sqrt(nuHat), tf.constant(epsilon)));
      return new ParamUpdate(direction, Map.of(MU, mu, NU, nu));
    };
  }

  @Override
  public Map<String, Object> optState(int count, Map<String, HostArray> slotValues) {
    Map<String, Object> chain = new LinkedHashMap<>();
    chain.put("0", scaleByAdam(count, slotValues));
    chain.put("1", OptaxState.schedule(count));
    return Map.of("0", chain);
  }

  /** {@code ScaleByAdamState(count, mu, nu)}. */
  static Map<String, Object> scaleByAdam(int count, Map<String, HostArray> slotValues) {
    Map<String, Object> adam = new LinkedHashMap<>();
    adam.put("count", count);
    adam.put(MU, OptaxState.slotTree(MU, slotValues));
    adam.put(NU, OptaxState.slotTree(NU, slotValues));
    return adam;
  }

  @Override
  public Map<String, HostArray> slotValues(Map<String, Object> optState) {
    return scaleByAdamSlots(optState);
  }

  /** The moments in {@code opt_state/0/0}, where adam and adamw keep {@code ScaleByAdamState}. */
  static Map<String, HostArray> scaleByAdamSlots(Map<String, Object> optState) {
    Map<String, Object> chain = OptaxState.child(optState, "0", "opt_state");
    Map<String, Object> adam = OptaxState.child(chain, "0", "opt_state/.../0");
    return OptaxState.slotValues(adam, SLOTS, "opt_state/.../0");
  }
}
