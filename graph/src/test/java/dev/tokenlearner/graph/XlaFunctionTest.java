package dev.tokenlearner.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.GraphFixture;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.reference.FixtureFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

class XlaFunctionTest {

  /** The fixtures' contract: max abs error of logits. */
  private static final double TOLERANCE = 1e-4;

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> floats(Output<?> o) {
    return (Output<TFloat32>) o;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tiny_v11", "tiny_v1_fuser", "small_b16like"})
  void call_fixtureForward_logitsWithinFixtureTolerance(String name) throws IOException {
    Path dir = FixtureFiles.fixturesRoot().resolve(name);
    ExperimentConfig config = ConfigLoader.load(dir.resolve("config.json"));
    try (GraphFixture g = new GraphFixture()) {
      Placeholder<TFloat32> images = g.placeholder("images", config.input().shape(-1));
      ModelOutputs out =
          TokenLearnerViT.build(
              g.root, config.model(), config.numClasses(), images, Mode.INFERENCE);
      List<Operand<?>> in = new ArrayList<>(List.of(images));
      g.store.parameters().forEach(p -> in.add(p.value()));
      Output<?> compiled =
          XlaFunction.call(g.tf.scope(), "forward", in, List.of(out.logits())).get(0);
      GraphOperation call = g.graph.operation("forward");
      assertTrue(call.type().endsWith("PartitionedCall"), call.type());
      assertArrayEquals(out.logits().shape().asArray(), compiled.shape().asArray());

      g.load(FixtureFiles.readParams(FixtureFiles.checkpointFile(dir)));
      HostArray input = FixtureFiles.readNpy(dir.resolve("input.npy"));
      HostArray logits = g.run(floats(compiled), Map.of(images, input));

      HostArray expected = FixtureFiles.readNpy(dir.resolve("expected_logits.npy"));
      double diff = expected.maxAbsDiff(logits);
      assertTrue(diff <= TOLERANCE, name + ": max abs diff " + diff);
      assertNotEquals(
          0.0,
          expected.maxAbsDiff(new HostArray(expected.shape(), new float[expected.data().length])));
    }
  }

  @Test
  void call_inputsDoNotCutGraph_throwsNamingPlaceholder() {
    try (GraphFixture g = new GraphFixture()) {
      Placeholder<TFloat32> a = g.placeholder("a", 2);
      Placeholder<TFloat32> b = g.placeholder("b", 2);
      Operand<TFloat32> sum = g.tf.math.add(a, b);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> XlaFunction.call(g.tf.scope(), "f", List.of(a), List.of(sum)));
      assertTrue(e.getMessage().contains("b"), e.getMessage());
    }
  }

  @Test
  void call_repeatedInput_throws() {
    try (GraphFixture g = new GraphFixture()) {
      Placeholder<TFloat32> a = g.placeholder("a", 2);
      Operand<TFloat32> sq = g.tf.math.square(a);
      assertThrows(
          IllegalArgumentException.class,
          () -> XlaFunction.call(g.tf.scope(), "f", List.of(a, a), List.of(sq)));
    }
  }

  @Test
  void call_variableBehindParameterRead_runsAndMatchesPlainGraph() {
    try (GraphFixture g = new GraphFixture()) {
      Placeholder<TFloat32> x = g.placeholder("x", -1, 3);
      Operand<TFloat32> y = dev.tokenlearner.ops.Dense.of(4).apply(g.root.named("dense"), x);
      List<Operand<?>> in = new ArrayList<>(List.of(x));
      for (Parameter p : g.store.parameters()) {
        in.add(p.value());
      }
      Operand<TFloat32> compiled =
          floats(XlaFunction.call(g.tf.scope(), "dense_xla", in, List.of(y)).get(0));
      g.loadRandom(3);
      HostArray input = new HostArray(new long[] {2, 3}, new float[] {1, 2, 3, -1, 0.5f, 4});
      HostArray plain = g.run(y, Map.of(x, input));
      HostArray xla = g.run(compiled, Map.of(x, input));
      assertTrue(plain.maxAbsDiff(xla) < 1e-5, "diff " + plain.maxAbsDiff(xla));
      assertTrue(plain.maxAbsDiff(new HostArray(plain.shape(), new float[8])) > 0);
    }
  }
}
