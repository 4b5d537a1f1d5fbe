package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Loading, assigning and reading parameters by path. */
class ParameterStoreTest {

  private static GraphFixture mlp() {
    GraphFixture g = new GraphFixture();
    MlpBlock.of(6, 0f).apply(g.root.child(MlpBlock.NAME), g.input("x", 4), Mode.INFERENCE);
    return g;
  }

  @Test
  void load_exactTree_readsBackSameValues() {
    try (GraphFixture g = mlp()) {
      Map<String, HostArray> values = g.loadRandom(1);

      assertEquals(values, new TreeMap<>(g.store.weights().read(g.session())));
    }
  }

  @Test
  void initialize_seed_readsBackInitialValues() {
    try (GraphFixture g = mlp()) {
      g.store.weights().initialize(g.session(), g.store.initialValues(5));

      assertEquals(g.store.initialValues(5), g.store.weights().read(g.session()));
    }
  }

  @Test
  void load_mismatchedTree_listsEveryProblemAndAssignsNothing() {
    try (GraphFixture g = mlp()) {
      Map<String, HostArray> before = g.loadRandom(1);
      Map<String, HostArray> bad = new TreeMap<>(TestArrays.params(g.store.shapes(), 2));
      bad.remove("MlpBlock_0/Dense_0/bias");
      bad.put("MlpBlock_0/Dense_1/kernel", HostArray.zeros(4, 6));
      bad.put("MlpBlock_0/Dense_2/kernel", HostArray.zeros(6, 4));

      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.load(bad));

      String m = e.getMessage();
      assertTrue(m.startsWith("3 parameter mismatch(es)"), m);
      assertTrue(m.contains("missing MlpBlock_0/Dense_0/bias [6]"), m);
      assertTrue(
          m.contains("wrong shape MlpBlock_0/Dense_1/kernel: expected [6, 4], found [4, 6]"), m);
      assertTrue(m.contains("unexpected MlpBlock_0/Dense_2/kernel [6, 4]"), m);
      assertEquals(before, new TreeMap<>(g.store.weights().read(g.session())));
    }
  }

  @Test
  void assign_subset_changesOnlyThose() {
    try (GraphFixture g = mlp()) {
      Map<String, HostArray> before = g.loadRandom(1);
      HostArray bias = new HostArray(new long[] {4}, new float[] {1, 2, 3, 4});

      g.store.weights().assign(g.session(), Map.of("MlpBlock_0/Dense_1/bias", bias));

      Map<String, HostArray> after = new TreeMap<>(before);
      after.put("MlpBlock_0/Dense_1/bias", bias);
      assertEquals(after, new TreeMap<>(g.store.weights().read(g.session())));
    }
  }

  @Test
  void assign_unknownPathOrShape_throwsNamingPath() {
    try (GraphFixture g = mlp()) {
      var e1 =
          assertThrows(
              IllegalArgumentException.class,
              () -> g.store.weights().assign(g.session(), Map.of("head/bias", HostArray.zeros(3))));
      var e2 =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  g.store
                      .weights()
                      .assign(g.session(), Map.of("MlpBlock_0/Dense_1/bias", HostArray.zeros(3))));

      assertTrue(e1.getMessage().contains("head/bias"), e1.getMessage());
      assertTrue(
          e2.getMessage().contains("MlpBlock_0/Dense_1/bias: expected [4], found [3]"),
          e2.getMessage());
    }
  }

  @Test
  void parameters_creationOrderAndCount() {
    try (GraphFixture g = mlp()) {
      List<String> paths = g.store.parameters().stream().map(Parameter::path).toList();

      assertEquals(
          List.of(
              "MlpBlock_0/Dense_0/kernel",
              "MlpBlock_0/Dense_0/bias",
              "MlpBlock_0/Dense_1/kernel",
              "MlpBlock_0/Dense_1/bias"),
          paths);
      assertEquals(4 * 6 + 6 + 6 * 4 + 4, g.store.parameterCount());
    }
  }
}
