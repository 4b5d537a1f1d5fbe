package dev.tokenlearner.train;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.ParameterRole;
import dev.tokenlearner.ops.PathScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The optimizer's slot variables and update ops, written with plain TF ops so that the learning
 * rate is a graph tensor and the numerics are optax's (the framework optimizers have neither a
 * schedule nor decoupled weight decay, and reject {@code '/'} in variable names).
 *
 * <p>Update for a parameter {@code w} with gradient {@code g} (already clipped) at step {@code t}
 * (0-based), learning rate {@code lr = schedule(t)}, {@code c = t + 1}:
 *
 * <ul>
 *   <li>adam / adamw ({@code scale_by_adam}): {@code mu = b1 mu + (1-b1) g}, {@code nu = b2 nu +
 *       (1-b2) g^2}, {@code u = (mu / (1-b1^c)) / (sqrt(nu / (1-b2^c)) + eps)}, adamw adds {@code
 *       wd w}; {@code w -= lr u}.
 *   <li>sgd ({@code optax.sgd}, preceded by {@code add_decayed_weights} when {@code weight_decay}
 *       is set): {@code g += wd w}; with momentum {@code trace = g + m trace} and {@code u = trace}
 *       ({@code u = g + m trace} with Nesterov); {@code w -= lr u}.
 *   <li>{@code explicit_weight_decay} d: afterwards {@code w *= 1 - lr d} for kernels.
 *   <li>{@code skip_scale_and_bias_regularization}: {@code wd} is 0 for rank-1 parameters.
 * </ul>
 *
 * <p>Slots are variables named {@code opt_state/<slot>/<param path>} ({@code mu}, {@code nu} or
 * {@code trace}). {@link #optState} and {@link #slotValues} convert them to and from the optax
 * state tree Scenic checkpoints hold.
 */
final class OptimizerGraph {

  /** Root name scope of the slot variables. */
  static final String SCOPE = "opt_state";

  /** Adam's first moment. */
  static final String MU = "mu";

  /** Adam's second moment. */
  static final String NU = "nu";

  /** SGD's momentum trace. */
  static final String TRACE = "trace";

  /** One slot variable of one parameter. */
  record Slot(String kind, Parameter param, Variable<TFloat32> variable, Operand<TFloat32> value) {
    String key() {
      return kind + "/" + param.path();
    }
  }

  private final OptimizerSpec spec;
  private final List<Parameter> params;
  private final Map<String, List<Slot>> slots = new LinkedHashMap<>();

  OptimizerGraph(Ops tf, OptimizerSpec spec, List<Parameter> params) {
    this.spec = spec;
    this.params = List.copyOf(params);
    Ops names = PathScope.of(tf);
    for (String kind : slotKinds(spec)) {
      List<Slot> list = new ArrayList<>();
      for (Parameter p : params) {
        list.add(createSlot(names, kind, p));
      }
      slots.put(kind, list);
    }
  }

  static List<String> slotKinds(OptimizerSpec spec) {
    if (spec.isAdam()) {
      return List.of(MU, NU);
    }
    return spec.momentum().isPresent() ? List.of(TRACE) : List.of();
  }

  private static Slot createSlot(Ops tf, String kind, Parameter p) {
    String path = p.path();
    int slash = path.lastIndexOf('/');
    String parent = SCOPE + "/" + kind + (slash < 0 ? "" : "/" + path.substring(0, slash));
    Ops scoped = PathScope.at(tf, parent);
    Ops init = scoped.withInitScope();
    Variable<TFloat32> v =
        scoped
            .withName(path.substring(slash + 1))
            .variable(init.zeros(init.constant(p.shape()), TFloat32.class));
    String expected = SCOPE + "/" + kind + "/" + p.path();
    if (!v.op().name().equals(expected)) {
      throw new IllegalStateException(
          "slot for " + p.path() + " got op name " + v.op().name() + ", expected " + expected);
    }
    return new Slot(kind, p, v, scoped.identity(v));
  }

  /** All slot variables, by kind then parameter order. */
  List<Slot> slots() {
    List<Slot> all = new ArrayList<>();
    slots.values().forEach(all::addAll);
    return all;
  }

  /**
   * Builds the update: new slot and parameter values computed from the current ones, then assigned
   * only after every op in {@code mustRunFirst} and every new value has run (VariableV2 reads alias
   * the variable's buffer, so an early assign would change values other ops still read).
   *
   * @param tf where to build
   * @param grads one gradient per parameter, clipped
   * @param lr the learning rate
   * @param step the global step before this update
   * @param stepVariable the global step variable, incremented by the update
   * @param mustRunFirst ops whose results are fetched with the update (loss, metrics)
   * @return the op that applies everything
   */
  Op update(
      Ops tf,
      List<Operand<TFloat32>> grads,
      Operand<TFloat32> lr,
      Operand<TInt64> step,
      Variable<TInt64> stepVariable,
      List<Operand<?>> mustRunFirst) {
    return update(tf, grads, lr, step, stepVariable, mustRunFirst, Optional.empty());
  }

  /**
   * Builds the update (as {@link #update(Ops, List, Operand, Operand, Variable, List)}), applied to
   * parameters and slots only where {@code applyIf} holds: a skipped step (float16 loss scaling
   * with non-finite gradients) assigns the old values back; the global step advances either way, so
   * the next step reads the next batch.
   *
   * @param applyIf a scalar condition, or empty to always apply
   */
  Op update(
      Ops tf,
      List<Operand<TFloat32>> grads,
      Operand<TFloat32> lr,
      Operand<TInt64> step,
      Variable<TInt64> stepVariable,
      List<Operand<?>> mustRunFirst,
      Optional<Operand<TBool>> applyIf) {
    Ops u = tf.withSubScope("update");
    Operand<TFloat32> count = u.dtypes.cast(u.math.add(step, u.constant(1L)), TFloat32.class);
    List<Operand<TFloat32>> newParams = new ArrayList<>();
    Map<Variable<TFloat32>, Operand<TFloat32>> newSlots = new LinkedHashMap<>();
    float weightDecay = (float) spec.weightDecay();
    Operand<TFloat32> biasCorrection1 = null;
    Operand<TFloat32> biasCorrection2 = null;
    if (spec.isAdam()) {
      biasCorrection1 =
          u.math.sub(u.constant(1f), u.math.pow(u.constant((float) spec.beta1()), count));
      biasCorrection2 =
          u.math.sub(u.constant(1f), u.math.pow(u.constant((float) spec.beta2()), count));
    }
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      Operand<TFloat32> w = p.value();
      Operand<TFloat32> g = grads.get(i);
      Operand<TFloat32> step1;
      float wd = spec.decays(p.shape()) ? weightDecay : 0f;
      if (spec.isAdam()) {
        Slot mu = slots.get(MU).get(i);
        Slot nu = slots.get(NU).get(i);
        float b1 = (float) spec.beta1();
        float b2 = (float) spec.beta2();
        Operand<TFloat32> mu1 =
            u.math.add(u.math.mul(u.constant(1f - b1), g), u.math.mul(u.constant(b1), mu.value()));
        Operand<TFloat32> nu1 =
            u.math.add(
                u.math.mul(u.constant(1f - b2), u.math.square(g)),
                u.math.mul(u.constant(b2), nu.value()));
        newSlots.put(mu.variable(), mu1);
        newSlots.put(nu.variable(), nu1);
        Operand<TFloat32> muHat = u.math.div(mu1, biasCorrection1);
        Operand<TFloat32> nuHat = u.math.div(nu1, biasCorrection2);
        step1 =
            u.math.div(muHat, u.math.add(u.math.sqrt(nuHat), u.constant((float) spec.epsilon())));
        if (spec.kind().equals("adamw") && wd != 0f) {
          step1 = u.math.add(step1, u.math.mul(u.constant(wd), w));
        }
      } else {
        if (wd != 0f) {
          g = u.math.add(g, u.math.mul(u.constant(wd), w));
        }
        if (spec.momentum().isPresent()) {
          Slot tr = slots.get(TRACE).get(i);
          float m = (float) spec.momentum().getAsDouble();
          Operand<TFloat32> trace1 = u.math.add(g, u.math.mul(u.constant(m), tr.value()));
          newSlots.put(tr.variable(), trace1);
          step1 = spec.nesterov() ? u.math.add(g, u.math.mul(u.constant(m), trace1)) : trace1;
        } else {
          step1 = g;
        }
      }
      Operand<TFloat32> w1 = u.math.sub(w, u.math.mul(lr, step1));
      if (spec.explicitWeightDecay().isPresent() && p.role() == ParameterRole.KERNEL) {
        float d = (float) spec.explicitWeightDecay().getAsDouble();
        w1 = u.math.mul(w1, u.math.sub(u.constant(1f), u.math.mul(lr, u.constant(d))));
      }
      newParams.add(applyIf.isPresent() ? u.select(applyIf.get(), w1, w) : w1);
    }
    if (applyIf.isPresent()) {
      Map<Variable<TFloat32>, Operand<TFloat32>> kept = new LinkedHashMap<>();
      for (Slot slot : slots()) {
        Operand<TFloat32> next = newSlots.get(slot.variable());
        if (next != null) {
          kept.put(slot.variable(), u.select(applyIf.get(), next, slot.value()));
        }
      }
      newSlots.clear();
      newSlots.putAll(kept);
    }
    List<Op> deps = new ArrayList<>();
    mustRunFirst.forEach(o -> deps.add(u.identity(o)));
    newParams.forEach(o -> deps.add(u.identity(o)));
    newSlots.values().forEach(o -> deps.add(u.identity(o)));
    // One gate op carries the dependencies: giving each assign all of them would add
    // (#assigns x #deps) control edges, quadratic in the number of parameters.
    Op ready = u.withControlDependencies(deps).withName("ready").noOp();
    Ops after = u.withControlDependencies(List.of(ready));
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      assigns.add(after.assign(params.get(i).variable(), newParams.get(i)));
    }
    newSlots.forEach((v, val) -> assigns.add(after.assign(v, val)));
    assigns.add(after.assignAdd(stepVariable, after.constant(1L)));
    return u.withControlDependencies(assigns).withName("apply").noOp();
  }

  /**
   * The optax state tree Scenic's optimizer would hold for these slot values: {@code {"0": {"0":
   * {count, mu, nu}, "1": {count}}}} for adam, {@code {"0": {"0": {count, mu, nu}, "1": {}, "2":
   * {count}}}} for adamw, {@code {"0": {"0": {trace} or {}, "1": {count}}}} for sgd, wrapped as
   * {@code {"0": {}, "1": ...}} when sgd has {@code weight_decay}; the weight-decay entry is {@code
   * {"inner_state": {}}} with {@code skip_scale_and_bias_regularization} (optax's MaskedState).
   *
   * @param spec the optimizer
   * @param step the global step (optax's counters equal it)
   * @param slotValues slot values keyed {@code <slot>/<param path>}
   * @return the tree (nested maps, keys sorted where JAX sorts them)
   */
  static Map<String, Object> optState(
      OptimizerSpec spec, long step, Map<String, HostArray> slotValues) {
    Integer count = Math.toIntExact(step);
    Map<String, Object> schedule = new LinkedHashMap<>();
    schedule.put("count", count);
    Map<String, Object> inner = new LinkedHashMap<>();
    if (spec.isAdam()) {
      Map<String, Object> adam = new LinkedHashMap<>();
      adam.put("count", count);
      adam.put(MU, tree(MU, slotValues));
      adam.put(NU, tree(NU, slotValues));
      inner.put("0", adam);
      if (spec.kind().equals("adamw")) {
        inner.put("1", decayState(spec));
        inner.put("2", schedule);
      } else {
        inner.put("1", schedule);
      }
      return Map.of("0", inner);
    }
    Map<String, Object> trace = new LinkedHashMap<>();
    if (spec.momentum().isPresent()) {
      trace.put(TRACE, tree(TRACE, slotValues));
    }
    inner.put("0", trace);
    inner.put("1", schedule);
    Map<String, Object> outer = new LinkedHashMap<>();
    if (spec.weightDecay() != 0) {
      outer.put("0", decayState(spec));
      outer.put("1", inner);
    } else {
      outer.put("0", inner);
    }
    return outer;
  }

  /**
   * The state of optax's {@code add_decayed_weights}: empty, or wrapped as {@code
   * MaskedState(inner_state=EmptyState())} when Scenic masks it ({@code
   * skip_scale_and_bias_regularization}).
   */
  private static Map<String, Object> decayState(OptimizerSpec spec) {
    Map<String, Object> state = new LinkedHashMap<>();
    if (spec.skipScaleAndBiasRegularization()) {
      state.put("inner_state", new LinkedHashMap<>());
    }
    return state;
  }

  /**
   * The slot values held in an optax state tree written by {@link #optState} (or by Scenic with the
   * same optimizer), keyed {@code <slot>/<param path>}, and the counters found.
   *
   * @param spec the optimizer
   * @param optState the tree
   * @return slot values by key
   * @throws IllegalArgumentException naming the path where the tree differs from the optimizer's
   */
  static Map<String, HostArray> slotValues(OptimizerSpec spec, Map<String, Object> optState) {
    Map<String, Object> inner;
    if (!spec.isAdam() && spec.weightDecay() != 0) {
      inner = child(child(optState, "1", "opt_state"), null, "opt_state/1");
    } else {
      inner = child(optState, "0", "opt_state");
    }
    Map<String, Object> first = child(inner, "0", "opt_state/.../0");
    Map<String, HostArray> out = new LinkedHashMap<>();
    for (String kind : slotKinds(spec)) {
      flattenInto(kind, child(first, kind, "opt_state/.../0"), kind, out);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> tree, String key, String where) {
    if (key == null) {
      return tree;
    }
    Object v = tree.get(key);
    if (!(v instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(
          where
              + ": expected a map under '"
              + key
              + "', found "
              + (v == null ? "nothing" : v.getClass().getSimpleName())
              + " (keys "
              + tree.keySet()
              + "); the checkpoint was written by another optimizer");
    }
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  private static void flattenInto(
      String prefix, Map<String, Object> tree, String where, Map<String, HostArray> out) {
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      String key = prefix + "/" + e.getKey();
      if (e.getValue() instanceof Map<?, ?> m) {
        flattenInto(key, (Map<String, Object>) m, where, out);
      } else if (e.getValue() instanceof HostArray a) {
        out.put(key, a);
      } else {
        throw new IllegalArgumentException(
            "opt_state " + where + ": leaf " + key + " is not a float array");
      }
    }
  }

  /** Nested, sorted tree of one slot kind's values. */
  private static SortedMap<String, Object> tree(String kind, Map<String, HostArray> slotValues) {
    SortedMap<String, Object> root = new TreeMap<>();
    String prefix = kind + "/";
    for (Map.Entry<String, HostArray> e : slotValues.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        continue;
      }
      String[] parts = e.getKey().substring(prefix.length()).split("/");
      SortedMap<String, Object> node = root;
      for (int i = 0; i < parts.length - 1; i++) {
        @SuppressWarnings("unchecked")
        SortedMap<String, Object> next =
            (SortedMap<String, Object>) node.computeIfAbsent(parts[i], k -> new TreeMap<>());
        node = next;
      }
      node.put(parts[parts.length - 1], e.getValue());
    }
    return root;
  }
}
