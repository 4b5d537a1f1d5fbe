package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * The example of docs/library.md: a small custom transformer built from the public layer API,
 * initialised, run, exported as a SavedModel, reloaded and run again.
 */
class ReadmeExampleTest {

  @Test
  void customTransformer_exportedAndReloaded_givesSameLogits(@TempDir Path dir) throws IOException {
    float[] pixels = TestArrays.uniform(1, 2, 32, 32, 3).data();
    float[][] direct;
    float[][] served;
    // README-BEGIN
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = PathScope.create(graph); // names ops without rescanning the graph
      ParameterStore store = new ParameterStore(tf);
      ModuleScope root = ModuleScope.root(store);
      Mode mode = Mode.INFERENCE;

      Placeholder<TFloat32> images =
          tf.withName("images")
              .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 32, 32, 3)));
      // [b, 8, 8, 32] patches -> [b, 64, 32] tokens
      Operand<TFloat32> x = Conv.patches(32, 4, 4).apply(root.named("embedding"), images);
      x = Shapes.reshapeBatch(tf, x, 64, 32);
      x = new AddPositionEmbs().apply(root.named("posembed_input"), x);
      x = Encoder1DBlock.of(64, 2).apply(root.named("encoderblock_0"), x, mode);
      // 64 tokens -> 8 learned tokens
      TokenLearnerModuleV11 learner = TokenLearnerModuleV11.defaults(8);
      x = learner.apply(root.child(learner), x, mode); // auto-named TokenLearnerModuleV11_0
      x = Encoder1DBlock.of(64, 2).apply(root.named("encoderblock_1"), x, mode);
      x = LayerNorm.defaults().apply(root.named("encoder_norm"), x);
      Operand<TFloat32> pooled = tf.math.mean(x, tf.constant(1));
      Operand<TFloat32> logits = Dense.of(10).apply(root.named("head"), pooled);

      store.weights().initialize(session, store.initialValues(42));
      try (TFloat32 batch = TFloat32.tensorOf(Shape.of(2, 32, 32, 3), DataBuffers.of(pixels));
          Result out = session.runner().feed(images, batch).fetch(logits).run()) {
        direct = StdArrays.array2dCopyOf((TFloat32) out.get(0));
      }

      Signature signature =
          Signature.builder()
              .key("serving_default")
              .methodName("tensorflow/serving/predict")
              .input("images", images)
              .output("logits", logits)
              .build();
      SavedModelBundle.exporter(dir.toString())
          .withFunction(SessionFunction.create(signature, session))
          .export();
    }

    try (SavedModelBundle model = SavedModelBundle.load(dir.toString(), "serve");
        TFloat32 batch = TFloat32.tensorOf(Shape.of(2, 32, 32, 3), DataBuffers.of(pixels));
        Result out = model.function("serving_default").call(Map.of("images", batch))) {
      served = StdArrays.array2dCopyOf((TFloat32) out.get("logits").orElseThrow());
    }
    // README-END

    assertEquals(2, served.length);
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(direct[i], served[i], 1e-6f, "example " + i);
    }
    assertNotEquals(direct[0][0], direct[1][0], "the logits depend on the input");
  }
}
