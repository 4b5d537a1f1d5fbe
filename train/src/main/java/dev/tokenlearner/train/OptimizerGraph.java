package dev.tokenlearner.train;

import dev.tokenlearner.config.OptimizerSpec;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.ParameterRole;
import dev.tokenlearner.ops.PathScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The update stage of the training step: the optimizer's slot variables and the ops that apply one
 * step, written with plain TF ops so that the learning rate is a graph tensor and the numerics are
 * optax's (the framework optimizers have neither a schedule nor decoupled weight decay, and reject
 * {@code '/'} in variable names). The optimizer's own math is its {@link UpdateRule}; this class
 * does what every optimizer shares.
 *
 * <p>For a parameter {@code w} with clipped gradient {@code g} at step {@code t} (0-based) and
 * learning rate {@code lr = schedule(t)}: {@code w -= lr u} with the rule's direction {@code u};
 * then {@code explicit_weight_decay} d shrinks kernels, {@code w *= 1 - lr d} (Scenic's {@code
 * train_step} did this after the optimizer, as {@code decay_weight_fn}).
 *
 * <p>Slots are variables named {@code opt_state/<slot>/<param path>}. {@link #optState} and {@link
 * #slotValues} convert them to and from the optax state tree Scenic checkpoints hold.
 */
final class OptimizerGraph {

  /** Root name scope of the slot variables. */
  static final String SCOPE = "opt_state";

  /** One slot variable of one parameter. */
  record Slot(String name, Parameter param, Variable<TFloat32> variable, Operand<TFloat32> value) {
    /** Its key in the slot I/O and in {@link #optState}'s input: {@code <slot>/<param path>}. */
    String key() {
      return name + "/" + param.path();
    }
  }

  private final UpdateRule rule;
  private final OptionalDouble explicitWeightDecay;
  private final List<Parameter> params;
  private final Map<String, List<Slot>> slots = new LinkedHashMap<>();

  /**
   * Creates the slot variables of every parameter ({@code createSlots}).
   *
   * @param tf the graph's ops
   * @param spec the optimizer
   * @param explicitWeightDecay {@code explicit_weight_decay}, empty for none
   * @param params the parameters, in the order the gradients come
   */
  OptimizerGraph(
      Ops tf, OptimizerSpec spec, OptionalDouble explicitWeightDecay, List<Parameter> params) {
    this.rule = UpdateRule.of(spec);
    this.explicitWeightDecay = explicitWeightDecay;
    this.params = List.copyOf(params);
    Ops names = PathScope.of(tf);
    for (String name : rule.slotNames()) {
      List<Slot> list = new ArrayList<>();
      for (Parameter p : params) {
        list.add(createSlot(names, name, p));
      }
      slots.put(name, list);
    }
  }

  private static Slot createSlot(Ops tf, String name, Parameter p) {
    String path = p.path();
    int slash = path.lastIndexOf('/');
    String parent = SCOPE + "/" + name + (slash < 0 ? "" : "/" + path.substring(0, slash));
    Ops scoped = PathScope.at(tf, parent);
    Ops init = scoped.withInitScope();
    Variable<TFloat32> v =
        scoped
            .withName(path.substring(slash + 1))
            .variable(init.zeros(init.constant(p.shape()), TFloat32.class));
    String expected = SCOPE + "/" + name + "/" + p.path();
    if (!v.op().name().equals(expected)) {
      throw new IllegalStateException(
          "slot for " + p.path() + " got op name " + v.op().name() + ", expected " + expected);
    }
    return new Slot(name, p, v, scoped.identity(v));
  }

  /** All slot variables, by slot then parameter order. */
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
    return assign(tf, next(tf, grads, lr, step, applyIf), stepVariable, mustRunFirst);
  }

  /**
   * New values of the parameters and slots after one step.
   *
   * @param params one per parameter, in parameter order
   * @param slots one per slot variable, in {@link #slots()} order
   */
  record Next(List<Operand<TFloat32>> params, List<Operand<TFloat32>> slots) {
    Next {
      params = List.copyOf(params);
      slots = List.copyOf(slots);
    }
  }

  /** The reads of every slot variable, in {@link #slots()} order (inputs of a compiled update). */
  List<Operand<TFloat32>> slotReads() {
    return slots().stream().map(Slot::value).toList();
  }

  /**
   * The new parameter and slot values from the current ones, without assigning them: pure tensor
   * math of the parameters' and slots' reads, so it can be compiled with XLA ({@link
   * dev.tokenlearner.graph.XlaFunction}) and assigned from the compiled call's outputs.
   *
   * @param tf where to build
   * @param grads one gradient per parameter, clipped
   * @param lr the learning rate
   * @param step the global step before this update
   * @param applyIf a scalar condition under which the new values replace the old, or empty
   * @return the new values
   */
  Next next(
      Ops tf,
      List<Operand<TFloat32>> grads,
      Operand<TFloat32> lr,
      Operand<TInt64> step,
      Optional<Operand<TBool>> applyIf) {
    Ops u = tf.withSubScope("update");
    Operand<TFloat32> count = u.dtypes.cast(u.math.add(step, u.constant(1L)), TFloat32.class);
    UpdateRule.Dense dense = rule.prepare(u, count);
    List<Operand<TFloat32>> newParams = new ArrayList<>();
    Map<Variable<TFloat32>, Operand<TFloat32>> newSlots = new LinkedHashMap<>();
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      Operand<TFloat32> w = p.value();
      Map<String, Operand<TFloat32>> current = new LinkedHashMap<>();
      for (Map.Entry<String, List<Slot>> e : slots.entrySet()) {
        current.put(e.getKey(), e.getValue().get(i).value());
      }
      UpdateRule.ParamUpdate next = dense.apply(u, p, grads.get(i), current);
      for (Map.Entry<String, List<Slot>> e : slots.entrySet()) {
        Operand<TFloat32> value = next.slots().get(e.getKey());
        if (value == null) {
          throw new IllegalStateException(
              rule.getClass().getSimpleName() + " gave no new " + e.getKey() + " for " + p.path());
        }
        newSlots.put(e.getValue().get(i).variable(), value);
      }
      Operand<TFloat32> w1 = u.math.sub(w, u.math.mul(lr, next.direction()));
      if (explicitWeightDecay.isPresent() && p.role() == ParameterRole.KERNEL) {
        float d = (float) explicitWeightDecay.getAsDouble();
        w1 = u.math.mul(w1, u.math.sub(u.constant(1f), u.math.mul(lr, u.constant(d))));
      }
      newParams.add(applyIf.isPresent() ? u.select(applyIf.get(), w1, w) : w1);
    }
    List<Operand<TFloat32>> slotValues = new ArrayList<>();
    for (Slot slot : slots()) {
      Operand<TFloat32> next = newSlots.get(slot.variable());
      slotValues.add(applyIf.isPresent() ? u.select(applyIf.get(), next, slot.value()) : next);
    }
    return new Next(newParams, slotValues);
  }

  /**
   * Assigns new values to the parameters and slots and advances the global step, only after every
   * op in {@code mustRunFirst} and every new value has run (VariableV2 reads alias the variable's
   * buffer, so an early assign would change values other ops still read).
   *
   * @param tf where to build
   * @param next the new values ({@link #next}, or a compiled call's outputs in the same order)
   * @param stepVariable the global step variable, incremented by the update
   * @param mustRunFirst ops whose results are fetched with the update (loss, metrics)
   * @return the op that applies everything
   */
  Op assign(Ops tf, Next next, Variable<TInt64> stepVariable, List<Operand<?>> mustRunFirst) {
    Ops u = tf.withSubScope("update");
    List<Slot> all = slots();
    List<Op> deps = new ArrayList<>();
    mustRunFirst.forEach(o -> deps.add(u.identity(o)));
    next.params().forEach(o -> deps.add(u.identity(o)));
    next.slots().forEach(o -> deps.add(u.identity(o)));
    // One gate op carries the dependencies: giving each assign all of them would add
    // (#assigns x #deps) control edges, quadratic in the number of parameters.
    Op ready = u.withControlDependencies(deps).withName("ready").noOp();
    Ops after = u.withControlDependencies(List.of(ready));
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      assigns.add(after.assign(params.get(i).variable(), next.params().get(i)));
    }
    for (int i = 0; i < all.size(); i++) {
      assigns.add(after.assign(all.get(i).variable(), next.slots().get(i)));
    }
    assigns.add(after.assignAdd(stepVariable, after.constant(1L)));
    return u.withControlDependencies(assigns).withName("apply").noOp();
  }

  /**
   * The optax state tree Scenic's optimizer would hold for these slot values (the layout is the
   * optimizer's {@link UpdateRule#optState}).
   *
   * @param spec the optimizer
   * @param step the global step (optax's counters equal it)
   * @param slotValues slot values keyed {@code <slot>/<param path>}
   * @return the tree (nested maps, keys sorted where JAX sorts them)
   */
  static Map<String, Object> optState(
      OptimizerSpec spec, long step, Map<String, HostArray> slotValues) {
    return UpdateRule.of(spec).optState(Math.toIntExact(step), slotValues);
  }

  /**
   * The slot values held in an optax state tree written by {@link #optState} (or by Scenic with the
   * same optimizer), keyed {@code <slot>/<param path>}.
   *
   * @param spec the optimizer
   * @param optState the tree
   * @return slot values by key
   * @throws IllegalArgumentException naming the path where the tree differs from the optimizer's
   */
  static Map<String, HostArray> slotValues(OptimizerSpec spec, Map<String, Object> optState) {
    return UpdateRule.of(spec).slotValues(optState);
  }
}
