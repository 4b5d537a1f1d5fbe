package dev.tokenlearner.train;

import dev.tokenlearner.config.OptimizerSpec;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * {@code optax.sgd}, preceded by {@code add_decayed_weights} when {@code weight_decay} is set, as
 * Scenic chains them: {@code g += wd w}; with momentum {@code m}, {@code trace = g + m trace} and
 * {@code u = trace} ({@code u = g + m trace} with Nesterov); without, {@code u = g} (optax's {@code
 * identity}, no slot). {@code skip_scale_and_bias_regularization} masks the decay off rank-1
 * parameters ({@code x.ndim != 1}).
 *
 * <p>State: {@code {"0": {"0": {trace} or {}, "1": {count}}}}, wrapped as {@code {"0": <decay
 * state>, "1": ...}} when {@code weight_decay} is set.
 */
final class SgdRule implements UpdateRule {

  /** The momentum trace. */
  static final String TRACE = "trace";

  private final double weightDecay;
  private final OptionalDouble momentum;
  private final boolean nesterov;
  private final boolean masked;

  SgdRule(OptimizerSpec spec) {
    this.weightDecay = spec.weightDecay();
    this.momentum = spec.configs().momentum();
    this.nesterov = spec.configs().nesterov();
    this.masked = spec.skipScaleAndBiasRegularization();
  }

  @Override
  public List<String> slotNames() {
    return momentum.isPresent() ? List.of(TRACE) : List.of();
  }

  private float decay(Parameter p) {
    return masked && p.shape().length == 1 ? 0f : (float) weightDecay;
  }

  @Override
  public Dense prepare(Ops u, Operand<TFloat32> count) {
    return (tf, param, grad, slots) -> {
      Operand<TFloat32> g = grad;
      float wd = decay(param);
      if (wd != 0f) {
        g = tf.math.add(g, tf.math.mul(tf.constant(wd), param.value()));
      }
      if (momentum.isEmpty()) {
        return new ParamUpdate(g, Map.of());
      }
      float m = (float) momentum.getAsDouble();
      Operand<TFloat32> trace = tf.math.add(g, tf.math.mul(tf.constant(m), slots.get(TRACE)));
      Operand<TFloat32> direction =
          nesterov ? tf.math.add(g, tf.math.mul(tf.constant(m), trace)) : trace;
      return new ParamUpdate(direction, Map.of(TRACE, trace));
    };
  }

  @Override
  public Map<String, Object> optState(int count, Map<String, HostArray> slotValues) {
    Map<String, Object> trace = new LinkedHashMap<>();
    if (momentum.isPresent()) {
      trace.put(TRACE, OptaxState.slotTree(TRACE, slotValues));
    }
    Map<String, Object> sgd = new LinkedHashMap<>();
    sgd.put("0", trace);
    sgd.put("1", OptaxState.schedule(count));
    Map<String, Object> chain = new LinkedHashMap<>();
    if (weightDecay != 0) {
      chain.put("0", OptaxState.decayedWeights(masked));
      chain.put("1", sgd);
    } else {
      chain.put("0", sgd);
    }
    return chain;
  }

  @Override
  public Map<String, HostArray> slotValues(Map<String, Object> optState) {
    Map<String, Object> sgd =
        weightDecay != 0
            ? OptaxState.child(optState, "1", "opt_state")
            : OptaxState.child(optState, "0", "opt_state");
    Map<String, Object> trace = OptaxState.child(sgd, "0", "opt_state/.../0");
    return OptaxState.slotValues(trace, slotNames(), "opt_state/.../0");
  }
}
