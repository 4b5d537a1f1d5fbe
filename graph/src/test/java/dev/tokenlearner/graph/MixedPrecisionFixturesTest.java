package dev.tokenlearner.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.ComputeDtype;
import dev.tokenlearner.ops.GraphFixture;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.reference.FixtureFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.types.TFloat32;

/**
 * {@link TokenLearnerViT} computing in bfloat16 and float16 on the Scenic fixtures: the float32
 * parameters are the checkpoint's, the logits come out float32 and stay within the low precision's
 * rounding of the float32 expected logits.
 */
class MixedPrecisionFixturesTest {

  /**
   * Max abs logit error of bfloat16 compute, relative to the largest expected logit. bfloat16 keeps
   * 8 significant bits (relative rounding 2^-9 ≈ 0.002 per op) and errors grow through the blocks'
   * matmuls and residual adds: the fixtures measure 0.007 to 0.040 (tiny_v1_fuser), each 7-10×
   * their float16 error, the ratio of the two formats' precision (2^3), so the error is rounding
   * and not a wrong cast. 0.08 is twice the worst case; a dropped parameter or a float16 overflow
   * is off by far more.
   */
  static final double BF16_RELATIVE_TOLERANCE = 0.08;

  /** float16 keeps 11 significant bits; the fixtures measure 0.0008 to 0.0043. */
  static final double FP16_RELATIVE_TOLERANCE = 0.01;

  private static HostArray logits(String name, ComputeDtype dtype) throws IOException {
    Path dir = FixtureFiles.fixturesRoot().resolve(name);
    ExperimentConfig config = ConfigLoader.load(dir.resolve("config.json"));
    try (GraphFixture g = new GraphFixture()) {
      var images = g.placeholder("images", config.input().shape(-1));
      ModelOutputs out =
          TokenLearnerViT.build(
              g.root, config.model(), config.numClasses(), images, Mode.INFERENCE, dtype);
      assertEquals(TFloat32.class, out.logits().type());
      g.load(FixtureFiles.readParams(FixtureFiles.checkpointFile(dir)));
      HostArray input = FixtureFiles.readNpy(dir.resolve("input.npy"));
      return g.runAll(List.of(out.logits()), Map.of(images, input)).get(0);
    }
  }

  private static double relativeError(String name, ComputeDtype dtype) throws IOException {
    HostArray expected =
        FixtureFiles.readNpy(
            FixtureFiles.fixturesRoot().resolve(name).resolve("expected_logits.npy"));
    HostArray actual = logits(name, dtype);
    assertArrayEquals(expected.shape(), actual.shape(), name + " logits shape");
    double scale = 0;
    for (float v : expected.data()) {
      scale = Math.max(scale, Math.abs(v));
    }
    return expected.maxAbsDiff(actual) / scale;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tokenlearner.ops.reference.FixtureFiles#msgpackSets")
  void build_bfloat16_logitsWithinBfloat16RoundingOfFloat32(String name) throws IOException {
    double rel = relativeError(name, ComputeDtype.BFLOAT16);
    System.out.printf("%s bfloat16 max abs logit error / max |logit| = %.5f%n", name, rel);
    assertTrue(rel <= BF16_RELATIVE_TOLERANCE, name + ": relative error " + rel);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tokenlearner.ops.reference.FixtureFiles#msgpackSets")
  void build_float16_logitsWithinFloat16RoundingOfFloat32(String name) throws IOException {
    double rel = relativeError(name, ComputeDtype.FLOAT16);
    System.out.printf("%s float16 max abs logit error / max |logit| = %.5f%n", name, rel);
    assertTrue(rel <= FP16_RELATIVE_TOLERANCE, name + ": relative error " + rel);
  }

  @Test
  void build_bfloat16_differsFromFloat32AndIsNotExact() throws IOException {
    // The low-precision path really computes in bfloat16: not bit-equal to float32.
    HostArray f32 = logits("tiny_v11", ComputeDtype.FLOAT32);
    HostArray bf16 = logits("tiny_v11", ComputeDtype.BFLOAT16);
    assertTrue(f32.maxAbsDiff(bf16) > 1e-6, "bfloat16 logits equal float32 ones");
  }

  @Test
  void build_float32Dtype_buildsTheSameGraphAsThePlainModel() throws IOException {
    ExperimentConfig config =
        ConfigLoader.load(
            FixtureFiles.fixturesRoot().resolve("tiny_v1_fuser").resolve("config.json"));
    try (ModelGraph plain =
            ModelGraph.build(config.model(), config.input(), Mode.TRAINING, -1, Optional.empty());
        ModelGraph f32 =
            ModelGraph.build(
                config.model(),
                config.input(),
                Mode.TRAINING,
                -1,
                Optional.empty(),
                ComputeDtype.FLOAT32)) {
      assertEquals(nodes(plain.graph()), nodes(f32.graph()));
    }
  }

  /** Each node as text (name, op, inputs, attributes), in graph order. */
  private static List<String> nodes(Graph g) {
    return g.toGraphDef().getNodeList().stream().map(Object::toString).toList();
  }
}
