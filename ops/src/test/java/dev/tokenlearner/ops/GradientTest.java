package dev.tokenlearner.ops;

import static dev.tokenlearner.ops.TestArrays.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * Graph gradients of a scalar loss exist for every parameter of every module: computed with {@code
 * tf.gradients} over {@link Parameter#value()}, fetched, finite, and non-zero except where the
 * model is invariant to the parameter.
 */
class GradientTest {

  /** A module's output and the values to feed its inputs. */
  private record Built(Operand<TFloat32> out, Map<Operand<TFloat32>, HostArray> feeds) {}

  /**
   * Parameters whose gradient is zero in exact arithmetic: a key bias adds the same logit to every
   * key (softmax over keys ignores it); v1.1's mask bias adds the same value to every spatial logit
   * (softmax over space ignores it); the fuser's token-axis bias adds a constant over features that
   * {@code fuser_mix_norm2} removes.
   */
  private static final Set<String> INVARIANT_LEAVES =
      Set.of(
          "MultiHeadDotProductAttention_0/key/bias",
          "TokenLearnerModuleV11_0/token_masking/Dense_1/bias",
          "TokenFuser_0/Dense_0/bias");

  private static Arguments module(String name, Function<GraphFixture, Built> build) {
    return Arguments.of(name, build);
  }

  private static Built single(Operand<TFloat32> x, Operand<TFloat32> y, long... shape) {
    return new Built(y, Map.of(x, uniform(31, shape)));
  }

  static Stream<Arguments> modules() {
    return Stream.of(
        module(
            "LayerNorm",
            g -> {
              var x = g.input("x", 4, 6);
              return single(
                  x, LayerNorm.defaults().apply(g.root.child(LayerNorm.NAME), x), 2, 4, 6);
            }),
        module(
            "Dense",
            g -> {
              var x = g.input("x", 4, 6);
              return single(x, Dense.of(3).apply(g.root.child(Dense.NAME), x), 2, 4, 6);
            }),
        module(
            "Conv 2-D",
            g -> {
              var x = g.input("x", 5, 5, 3);
              var y =
                  new Conv(
                          4,
                          new long[] {3, 3},
                          new long[] {2, 2},
                          "SAME",
                          true,
                          Initializer.lecunNormal())
                      .apply(g.root.child(Conv.NAME), x);
              return single(x, y, 2, 5, 5, 3);
            }),
        module(
            "Conv 3-D",
            g -> {
              var x = g.input("x", 4, 4, 4, 2);
              return single(
                  x, Conv.patches(3, 2, 2, 2).apply(g.root.child(Conv.NAME), x), 2, 4, 4, 4, 2);
            }),
        module(
            "MlpBlock",
            g -> {
              var x = g.input("x", 4, 6);
              return single(
                  x,
                  MlpBlock.of(8, 0f).apply(g.root.child(MlpBlock.NAME), x, Mode.INFERENCE),
                  2,
                  4,
                  6);
            }),
        module(
            "MultiHeadDotProductAttention",
            g -> {
              var x = g.input("x", 5, 8);
              var y =
                  new MultiHeadDotProductAttention(2, 0f)
                      .apply(g.root.child(MultiHeadDotProductAttention.NAME), x, Mode.INFERENCE);
              return single(x, y, 2, 5, 8);
            }),
        module(
            "Encoder1DBlock",
            g -> {
              var x = g.input("x", 5, 8);
              return single(
                  x,
                  Encoder1DBlock.of(16, 2).apply(g.root.named("encoderblock_0"), x, Mode.INFERENCE),
                  2,
                  5,
                  8);
            }),
        module(
            "AddPositionEmbs",
            g -> {
              var x = g.input("x", 5, 8);
              return single(
                  x, new AddPositionEmbs().apply(g.root.named("posembed_input"), x), 2, 5, 8);
            }),
        module(
            "TokenLearnerModule",
            g -> {
              var x = g.input("x", 16, 6);
              var y =
                  TokenLearnerModule.defaults(3)
                      .apply(g.root.child(TokenLearnerModule.NAME), x, Mode.INFERENCE);
              return single(x, y, 2, 16, 6);
            }),
        module(
            "TokenLearnerModuleV11",
            g -> {
              var x = g.input("x", 3, 4, 6);
              var y =
                  TokenLearnerModuleV11.defaults(5)
                      .apply(g.root.child(TokenLearnerModuleV11.NAME), x, Mode.INFERENCE);
              return single(x, y, 2, 3, 4, 6);
            }),
        module(
            "TokenFuser",
            g -> {
              var tokens = g.input("tokens", 3, 6);
              var original = g.input("original", 16, 6);
              var y =
                  TokenFuser.defaults()
                      .apply(g.root.child(TokenFuser.NAME), tokens, original, Mode.INFERENCE);
              return new Built(
                  y, Map.of(tokens, uniform(32, 2, 3, 6), original, uniform(33, 2, 16, 6)));
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modules")
  void gradients_sumOfSquares_finiteForEveryParameter(
      String name, Function<GraphFixture, Built> build) {
    try (GraphFixture g = new GraphFixture()) {
      Built b = build.apply(g);
      var flat = g.tf.reshape(b.out(), g.tf.constant(new long[] {-1}));
      Operand<TFloat32> loss = g.tf.sum(g.tf.math.mul(flat, flat), g.tf.constant(0));
      List<Parameter> params = g.store.parameters();
      Gradients grads = g.tf.gradients(loss, params.stream().map(Parameter::value).toList());
      List<Operand<TFloat32>> fetches = new ArrayList<>();
      for (int i = 0; i < params.size(); i++) {
        Output<TFloat32> dy = grads.dy(i);
        assertNotNull(dy, params.get(i).path());
        // Identity wrappers: two gradients may be the same tensor, and a fetch list must not
        // repeat.
        fetches.add(g.tf.identity(dy));
      }
      g.loadRandom(34);

      List<HostArray> values = g.runAll(fetches, b.feeds());

      double largest = 0;
      for (HostArray v : values) {
        for (float f : v.data()) {
          largest = Math.max(largest, Math.abs(f));
        }
      }
      for (int i = 0; i < params.size(); i++) {
        Parameter p = params.get(i);
        HostArray v = values.get(i);
        assertArrayEquals(p.shape(), v.shape(), p.path());
        double max = 0;
        for (float f : v.data()) {
          assertTrue(Float.isFinite(f), p.path() + " has a non-finite gradient");
          max = Math.max(max, Math.abs(f));
        }
        if (INVARIANT_LEAVES.stream().anyMatch(p.path()::endsWith)) {
          assertTrue(max <= 1e-4 * largest, p.path() + " gradient " + max + " should vanish");
        } else {
          assertTrue(max > 1e-4 * largest, p.path() + " gradient " + max + " is (almost) zero");
        }
      }
    }
  }
}
