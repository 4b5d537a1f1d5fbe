package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Dense;
import dev.tokenlearner.ops.Initializer;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

class OptimizerGraphTest {

  private static final float[] C = {0.3f, -1.2f, 2.0f, 0.05f, -0.7f, 1.1f};
  private static final float LR = 0.1f;

  private static OptimizerSpec spec(
      String kind, double wd, OptionalDouble momentum, boolean nesterov, OptionalDouble explicit) {
    return new OptimizerSpec(
        kind,
        0.9,
        0.99,
        1e-3,
        wd,
        momentum,
        nesterov,
        OptionalDouble.empty(),
        explicit,
        OptionalDouble.empty(),
        false);
  }

  /**
   * Runs {@code steps} updates of {@code loss = sum(C * kernel) + sum(bias^2)} and returns the
   * final kernel and bias.
   */
  private static double[][] train(OptimizerSpec spec, int steps) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      ParameterStore store = new ParameterStore(tf);
      ModuleScope dense = ModuleScope.root(store).child(Dense.of(3));
      Operand<TFloat32> kernel =
          dense.param("kernel", new long[] {2, 3}, Initializer.constant(0.5f));
      Operand<TFloat32> bias = dense.param("bias", new long[] {3}, Initializer.constant(-0.4f));
      Operand<TFloat32> c = tf.reshape(tf.constant(C), tf.constant(new long[] {2, 3}));
      Operand<TFloat32> loss =
          tf.math.add(
              tf.sum(tf.math.mul(kernel, c), tf.constant(new int[] {0, 1})),
              tf.sum(tf.math.mul(bias, bias), tf.constant(0)));
      List<Parameter> params = store.parameters();
      Gradients grads = Gradients.create(tf.scope(), loss, List.of(kernel, bias));
      List<Operand<TFloat32>> gs = new ArrayList<>();
      gs.add(grads.dy(0));
      gs.add(grads.dy(1));
      Variable<TInt64> step = tf.withName("global_step").variable(tf.withInitScope().constant(0L));
      OptimizerGraph opt = new OptimizerGraph(tf, spec, params);
      Op update = opt.update(tf, gs, tf.constant(LR), tf.identity(step), step, List.of(loss));
      store.weights().initialize(s, store.initialValues(0));
      for (int i = 0; i < steps; i++) {
        s.run(update);
      }
      Map<String, HostArray> v = store.weights().read(s);
      return new double[][] {
        toDouble(v.get("Dense_0/kernel").data()), toDouble(v.get("Dense_0/bias").data())
      };
    }
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** optax adam/adamw on one scalar, in double. */
  private static double adam(
      double w, java.util.function.DoubleUnaryOperator grad, int steps, double wd) {
    double mu = 0;
    double nu = 0;
    for (int t = 1; t <= steps; t++) {
      double g = grad.applyAsDouble(w);
      mu = 0.1 * g + 0.9 * mu;
      nu = 0.01 * g * g + 0.99 * nu;
      double u = (mu / (1 - Math.pow(0.9, t))) / (Math.sqrt(nu / (1 - Math.pow(0.99, t))) + 1e-3);
      w -= LR * (u + wd * w);
    }
    return w;
  }

  /** optax sgd with add_decayed_weights, momentum m (Nesterov if asked), in double. */
  private static double sgd(
      double w,
      java.util.function.DoubleUnaryOperator grad,
      int steps,
      double wd,
      double m,
      boolean nesterov) {
    double trace = 0;
    for (int t = 1; t <= steps; t++) {
      double g = grad.applyAsDouble(w) + wd * w;
      trace = g + m * trace;
      double u = nesterov ? g + m * trace : trace;
      w -= LR * u;
    }
    return w;
  }

  @Test
  void update_adamw_matchesOptaxFormulas() {
    double[][] got =
        train(spec("adamw", 0.05, OptionalDouble.empty(), false, OptionalDouble.empty()), 3);
    for (int i = 0; i < 6; i++) {
      double ci = C[i];
      assertEquals(adam(0.5, w -> ci, 3, 0.05), got[0][i], 1e-5, "kernel[" + i + "]");
    }
    assertEquals(adam(-0.4, w -> 2 * w, 3, 0.05), got[1][0], 1e-5, "bias");
  }

  @Test
  void update_adamWithoutDecay_matchesOptaxFormulas() {
    double[][] got =
        train(spec("adam", 0, OptionalDouble.empty(), false, OptionalDouble.empty()), 4);
    assertEquals(adam(0.5, w -> C[1], 4, 0), got[0][1], 1e-5);
    assertEquals(adam(-0.4, w -> 2 * w, 4, 0), got[1][2], 1e-5);
  }

  @Test
  void update_sgdNesterovWithWeightDecay_matchesOptaxFormulas() {
    double[][] got =
        train(spec("sgd", 0.01, OptionalDouble.of(0.9), true, OptionalDouble.empty()), 3);
    assertEquals(sgd(0.5, w -> C[2], 3, 0.01, 0.9, true), got[0][2], 1e-5);
    assertEquals(sgd(-0.4, w -> 2 * w, 3, 0.01, 0.9, true), got[1][0], 1e-5);
  }

  @Test
  void update_explicitWeightDecay_shrinksKernelsOnly() {
    double[][] got =
        train(spec("sgd", 0, OptionalDouble.empty(), false, OptionalDouble.of(0.5)), 1);
    // kernel: (0.5 - lr * c) * (1 - lr * 0.5); bias untouched by the decay: -0.4 - lr * 2 * -0.4
    assertEquals((0.5 - LR * C[0]) * (1 - LR * 0.5), got[0][0], 1e-6);
    assertEquals(-0.4 - LR * 2 * -0.4, got[1][0], 1e-6);
  }

  @Test
  void optState_adamw_hasScenicChainLayout() {
    OptimizerSpec spec = spec("adamw", 0.1, OptionalDouble.empty(), false, OptionalDouble.empty());
    Map<String, HostArray> slots = new LinkedHashMap<>();
    slots.put("mu/Dense_0/kernel", HostArray.zeros(2, 3));
    slots.put("mu/Dense_0/bias", HostArray.zeros(3));
    slots.put("nu/Dense_0/kernel", HostArray.zeros(2, 3));
    slots.put("nu/Dense_0/bias", HostArray.zeros(3));
    Map<String, Object> tree = OptimizerGraph.optState(spec, 7, slots);
    // optax.chain(optax.adamw(lr_fn)) = ((ScaleByAdamState, EmptyState, ScaleByScheduleState),)
    assertEquals(List.of("0"), List.copyOf(tree.keySet()));
    Map<?, ?> inner = (Map<?, ?>) tree.get("0");
    assertEquals(List.of("0", "1", "2"), List.copyOf(inner.keySet()));
    Map<?, ?> adam = (Map<?, ?>) inner.get("0");
    assertEquals(List.of("count", "mu", "nu"), List.copyOf(adam.keySet()));
    assertEquals(7, adam.get("count"));
    assertEquals(Map.of(), inner.get("1"));
    assertEquals(Map.of("count", 7), inner.get("2"));
    Map<?, ?> mu = (Map<?, ?>) ((Map<?, ?>) adam.get("mu")).get("Dense_0");
    assertEquals(List.of("bias", "kernel"), List.copyOf(mu.keySet()));
    assertEquals(slots, OptimizerGraph.slotValues(spec, tree));
  }

  private static OptimizerSpec skipping(String kind, double wd) {
    return new OptimizerSpec(
        kind,
        0.9,
        0.99,
        1e-3,
        wd,
        OptionalDouble.empty(),
        false,
        OptionalDouble.empty(),
        OptionalDouble.empty(),
        OptionalDouble.empty(),
        true);
  }

  @Test
  void update_sgdSkippingScaleAndBias_decaysKernelNotBias() {
    double[][] got = train(skipping("sgd", 0.3), 1);
    // kernel: 0.5 - lr * (c + 0.3 * 0.5); bias (rank 1): -0.4 - lr * 2 * -0.4, no decay
    assertEquals(0.5 - LR * (C[0] + 0.3 * 0.5), got[0][0], 1e-6);
    assertEquals(-0.4 - LR * 2 * -0.4, got[1][0], 1e-6);
  }

  @Test
  void update_adamwSkippingScaleAndBias_decaysBiasAnywayAsScenic() {
    double[][] masked = train(skipping("adamw", 0.3), 1);
    double[][] plain =
        train(spec("adamw", 0.3, OptionalDouble.empty(), false, OptionalDouble.empty()), 1);
    assertEquals(plain[1][0], masked[1][0], 0.0);
    assertEquals(plain[0][0], masked[0][0], 0.0);
  }

  @Test
  void optState_sgdWithMaskedWeightDecay_hasOptaxMaskedStateLayout() {
    Map<String, Object> tree = OptimizerGraph.optState(skipping("sgd", 0.01), 3, Map.of());
    // optax.chain(masked(add_decayed_weights), sgd(lr_fn)) without momentum:
    // (MaskedState(inner_state=EmptyState()), (EmptyState(), ScaleByScheduleState(count)))
    assertEquals(Map.of("inner_state", Map.of()), tree.get("0"));
    assertEquals(Map.of("0", Map.of(), "1", Map.of("count", 3)), tree.get("1"));
    assertEquals(Map.of(), OptimizerGraph.slotValues(skipping("sgd", 0.01), tree));
  }

  @Test
  void slotValues_otherOptimizersTree_throwsNamingTheMismatch() {
    OptimizerSpec adam = spec("adam", 0, OptionalDouble.empty(), false, OptionalDouble.empty());
    OptimizerSpec sgd = spec("sgd", 0, OptionalDouble.of(0.9), false, OptionalDouble.empty());
    Map<String, Object> tree =
        OptimizerGraph.optState(sgd, 1, Map.of("trace/a/kernel", HostArray.zeros(1)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OptimizerGraph.slotValues(adam, tree));
    assertEquals(true, e.getMessage().contains("mu"), e.getMessage());
  }
}
