package dev.tokenlearner.graph;

import static dev.tokenlearner.ops.TestArrays.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.GraphFixture;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.reference.FixtureFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.Operand;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * Whole models are differentiable: in inference and in training mode (dropout 0.1, a root rng key),
 * a scalar loss of the logits has a finite gradient for every parameter, non-zero except where the
 * model is invariant to the parameter. The video model exercises the Conv3D gradient.
 */
class TokenLearnerViTGradientTest {

  /**
   * Key biases (softmax over keys ignores them), v1.1's mask bias (softmax over space ignores it at
   * inference), the fuser's token-axis bias ({@code fuser_mix_norm2} removes it).
   */
  private static final Pattern INVARIANT =
      Pattern.compile(
          ".*(/key/bias"
              + "|TokenLearnerModuleV11_\\d+/token_masking/Dense_1/bias"
              + "|TokenFuser_\\d+/Dense_0/bias)");

  private static ModelConfig withDropout(ModelConfig m, double rate) {
    return new ModelConfig(
        m.hiddenSize(),
        m.numHeads(),
        m.mlpDim(),
        m.numLayers(),
        m.representationSize(),
        m.classifier(),
        rate,
        rate,
        m.stochasticDepth(),
        m.tokenizer());
  }

  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({"tiny_v1_fuser, TRAINING", "tiny_video_3dconv, TRAINING"})
  void gradients_fixtureModel_finiteForEveryParameter(String name, Mode mode) throws IOException {
    ExperimentConfig config =
        ConfigLoader.load(FixtureFiles.fixturesRoot().resolve(name).resolve("config.json"));
    try (GraphFixture g = new GraphFixture()) {
      var images = g.placeholder("images", config.input().shape(-1));
      ModuleScope root = ModuleScope.root(g.store, g.tf.constant(new long[] {17, 3}));
      ModelOutputs out =
          TokenLearnerViT.build(
              root, withDropout(config.model(), 0.1), config.numClasses(), images, mode);
      var flat = g.tf.reshape(out.logits(), g.tf.constant(new long[] {-1}));
      Operand<TFloat32> loss = g.tf.sum(g.tf.math.mul(flat, flat), g.tf.constant(0));
      List<Parameter> params = g.store.parameters();
      Gradients grads = g.tf.gradients(loss, params.stream().map(Parameter::value).toList());
      List<Operand<TFloat32>> fetches = new ArrayList<>();
      for (int i = 0; i < params.size(); i++) {
        fetches.add(g.tf.identity(grads.<TFloat32>dy(i)));
      }
      g.loadRandom(5);

      List<HostArray> values =
          g.runAll(fetches, Map.of(images, uniform(6, config.input().shape(2))));

      for (int i = 0; i < params.size(); i++) {
        Parameter p = params.get(i);
        HostArray v = values.get(i);
        assertArrayEquals(p.shape(), v.shape(), p.path());
        double max = 0;
        for (float f : v.data()) {
          assertTrue(Float.isFinite(f), p.path() + " has a non-finite gradient");
          max = Math.max(max, Math.abs(f));
        }
        if (!INVARIANT.matcher(p.path()).matches()) {
          assertTrue(max > 0, p.path() + " gets no gradient");
        }
      }
    }
  }
}
