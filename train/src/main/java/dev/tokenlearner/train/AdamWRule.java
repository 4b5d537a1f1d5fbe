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
 * {@code optax.adamw}: Adam's direction ({@link AdamRule}) plus the decoupled weight decay {@code
 * wd w}, then the learning rate.
 *
 * <p>Every parameter decays, {@code skip_scale_and_bias_regularization} or not: Scenic's {@code
 * get_optimizer} hands adamw its mask inside an ml_collections ConfigDict, which optax then takes
 * for a single truthy leaf. The flag only changes the state layout.
 *
 * <p>State: {@code {"0": {"0": {count, mu, nu}, "1": {}, "2": {count}}}}, with {@code "1"} being
 * {@code {"inner_state": {}}} (optax's {@code MaskedState}) under the flag.
 */
final class AdamWRule implements UpdateRule {

  private final AdamRule adam;
  private final float weightDecay;
  private final boolean masked;

  AdamWRule(OptimizerSpec spec) {
    this.adam = new AdamRule(spec);
    this.weightDecay = (float) spec.weightDecay();
    this.masked = spec.skipScaleAndBiasRegularization();
  }

  @Override
  public List<String> slotNames() {
    return adam.slotNames();
  }

  @Override
  public Dense prepare(Ops u, Operand<TFloat32> count) {
    Dense moments = adam.prepare(u, count);
    return (tf, param, g, slots) -> {
      ParamUpdate a = moments.apply(tf, param, g, slots);
      if (weightDecay == 0f) {
        return a;
      }
      return new ParamUpdate(
          tf.math.add(a.direction(), tf.math.mul(tf.constant(weightDecay), param.value())),
          a.slots());
    };
  }

  @Override
  public Map<String, Object> optState(int count, Map<String, HostArray> slotValues) {
    Map<String, Object> chain = new LinkedHashMap<>();
    chain.put("0", AdamRule.scaleByAdam(count, slotValues));
    chain.put("1", OptaxState.decayedWeights(masked));
    chain.put("2", OptaxState.schedule(count));
    return Map.of("0", chain);
  }

  @Override
  public Map<String, HostArray> slotValues(Map<String, Object> optState) {
    return AdamRule.scaleByAdamSlots(optState);
  }
}
