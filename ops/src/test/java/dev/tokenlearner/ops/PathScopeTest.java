package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/** Names handed out by {@link PathScope}: TF's naming rules, without collisions. */
class PathScopeTest {

  /** A small build that exercises auto names, explicit names, sub-scopes and name-as-sub-scope. */
  private static List<String> build(Ops tf) {
    List<String> names = new ArrayList<>();
    Consumer<Operand<?>> add = o -> names.add(o.op().name());
    Operand<TFloat32> a = tf.constant(1f);
    add.accept(a);
    add.accept(tf.constant(2f));
    add.accept(tf.withName("x").constant(3f));
    add.accept(tf.withName("x").constant(4f));
    Ops sub = tf.withSubScope("block");
    add.accept(sub.math.add(a, a));
    add.accept(sub.math.add(a, a));
    Ops again = tf.withSubScope("block");
    add.accept(again.math.add(a, a));
    add.accept(sub.zeros(sub.constant(new long[] {2}), TFloat32.class));
    add.accept(sub.zeros(sub.constant(new long[] {2}), TFloat32.class));
    add.accept(tf.withName("block").constant(5f));
    return names;
  }

  @Test
  void names_smallBuild_equalTfOpScopeNames() {
    try (Graph ours = new Graph();
        Graph theirs = new Graph()) {
      List<String> expected = build(Ops.create(theirs));

      List<String> actual = build(PathScope.create(ours));

      assertEquals(expected, actual);
      assertTrue(actual.contains("block_1/Add"), actual.toString());
    }
  }

  @Test
  void sameSubScopeTwice_getsSuffix_andOpsShareOneTablePerPrefix() {
    try (Graph g = new Graph()) {
      Ops tf = PathScope.create(g);
      Operand<TFloat32> a = tf.constant(1f);
      Ops first = PathScope.at(tf, "train");
      Ops second = PathScope.at(tf, "train");

      String n1 = first.math.add(a, a).op().name();
      String n2 = second.math.add(a, a).op().name();

      assertEquals("train/Add", n1);
      assertEquals("train/Add_1", n2);
      assertEquals(
          "train_1",
          tf.withSubScope("train").withName("Add").constant(0f).op().name().split("/")[0]);
    }
  }

  @Test
  void at_path_variableNamedExactlyByPath() {
    try (Graph g = new Graph()) {
      Ops tf = PathScope.create(g);
      Ops at = PathScope.at(tf, "opt_state/mu/Transformer/encoderblock_0/Dense_0");
      Variable<TFloat32> v = at.withName("kernel").variable(at.withInitScope().constant(0f));

      assertEquals("opt_state/mu/Transformer/encoderblock_0/Dense_0/kernel", v.op().name());
      assertEquals(
          "opt_state/mu/Transformer",
          PathScope.at(tf, "opt_state/mu/Transformer")
              .withName("x")
              .constant(1f)
              .op()
              .name()
              .replace("/x", ""));
    }
  }

  @Test
  void at_invalidComponent_throwsNamingIt() {
    try (Graph g = new Graph()) {
      Ops tf = PathScope.create(g);

      var e = assertThrows(IllegalArgumentException.class, () -> PathScope.at(tf, "a//b"));
      var e2 = assertThrows(IllegalArgumentException.class, () -> PathScope.at(tf, "a/b c"));

      assertTrue(e.getMessage().contains("''"), e.getMessage());
      assertTrue(e2.getMessage().contains("'b c'"), e2.getMessage());
    }
  }

  @Test
  void foreignOps_existingNames_areNotReused() {
    try (Graph g = new Graph()) {
      Ops foreign = Ops.create(g);
      foreign.withName("x").constant(1f);
      foreign.withSubScope("s").withName("y").constant(1f);
      Ops tf = PathScope.create(g);

      String x = tf.withName("x").constant(2f).op().name();
      String y = PathScope.at(tf, "s").withName("y").constant(2f).op().name();

      assertEquals("x_1", x);
      assertEquals("s/y_1", y);
    }
  }

  @Test
  void gradients_thenMoreOpsInSamePrefix_allNamesUnique() {
    try (GraphFixture g = new GraphFixture()) {
      var x = g.input("x", 3, 5, 5, 2);
      Operand<TFloat32> y =
          new Conv(
                  4,
                  new long[] {2, 3, 3},
                  new long[] {1, 2, 2},
                  "SAME",
                  false,
                  Initializer.lecunNormal())
              .apply(g.root.child(Conv.NAME), x);
      Operand<TFloat32> loss = g.tf.sum(y, g.tf.constant(new int[] {0, 1, 2, 3, 4}));
      Operand<TFloat32> w = g.store.get("Conv_0/kernel").value();
      Ops grads = g.tf.withSubScope("gradients");
      // The Conv3D gradient is a Java callback that builds ops through its own native scope.
      Gradients d1 = Gradients.create(grads.scope(), loss, List.of(x, w));
      Gradients d2 = Gradients.create(grads.scope(), loss, List.of(w));
      Operand<TFloat32> more = grads.math.add(d1.dy(1), d2.dy(0));
      Operand<TFloat32> viaTf = g.tf.gradients(loss, List.of(w)).dy(0);

      Set<String> names = new HashSet<>();
      List<String> dups = new ArrayList<>();
      for (var it = g.graph.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (!names.add(op.name())) {
          dups.add(op.name());
        }
      }
      assertEquals(List.of(), dups);
      assertNotEquals(d1.dy(1).op().name(), d2.dy(0).op().name());
      g.loadRandom(3);
      HostArray sum = g.run(more, java.util.Map.of(x, TestArrays.uniform(4, 2, 3, 5, 5, 2)));
      HostArray single = g.run(viaTf, java.util.Map.of(x, TestArrays.uniform(4, 2, 3, 5, 5, 2)));
      assertEquals(2 * single.data()[0], sum.data()[0], 1e-4 * Math.abs(single.data()[0]) + 1e-5);
    }
  }

  @Test
  void initScope_opsRunBySessionInitialize() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = PathScope.create(g);
      Ops at = PathScope.at(tf, "w");
      Variable<TFloat32> v = at.withName("v").variable(at.withInitScope().constant(7f));

      s.initialize();

      try (Result r = s.runner().fetch(v).run()) {
        assertEquals(7f, ((TFloat32) r.get(0)).getFloat());
      }
    }
  }

  @Test
  void controlDependencies_orderAssignBeforeRead() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = PathScope.create(g);
      Variable<TFloat32> v = tf.withName("v").variable(tf.withInitScope().constant(1f));
      var assign = tf.assign(v, tf.constant(5f));
      Operand<TFloat32> read = tf.withControlDependencies(List.of(assign)).identity(v);
      s.initialize();

      try (Result r = s.runner().fetch(read).run()) {
        assertEquals(5f, ((TFloat32) r.get(0)).getFloat());
      }
    }
  }
}
