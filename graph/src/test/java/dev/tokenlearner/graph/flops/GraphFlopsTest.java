package dev.tokenlearner.graph.flops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.graph.TokenLearnerViT;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.ParameterStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** The analytic FLOP count agrees with the FLOPs of the ops actually emitted. */
class GraphFlopsTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "vit_b16_baseline",
        "im1k_token_learner",
        "tokenfuser_b16",
        "token_learner_ti16",
        "kinetics_tokenlearner_b16",
        "tiny"
      })
  void analyticCount_bundledConfig_agreesWithBuiltGraphWithin1Percent(String name)
      throws Exception {
    ExperimentConfig cfg = ConfigLoader.loadNamed(name);
    long analytic = FlopCounter.count(cfg).flops();
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(cfg.input().shape(1))));
      var out =
          TokenLearnerViT.build(
              ModuleScope.root(new ParameterStore(tf)),
              cfg.model(),
              cfg.numClasses(),
              x,
              Mode.INFERENCE);
      long measured = GraphFlops.count(out.logits());
      assertEquals(
          1.0,
          (double) measured / analytic,
          0.01,
          "graph " + measured + " vs analytic " + analytic);
    }
  }
}
