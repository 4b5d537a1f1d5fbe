package dev.tokenlearner.examples;

import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.Mode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Builds the bundled {@code tiny} TokenLearner ViT with fresh weights, exports it as a SavedModel,
 * loads it back and predicts a random batch, using only the toolkit's public API.
 *
 * <p>Usage: {@code ExportAndServe [model-dir]}; exits with 1 if the served logits are not finite
 * or do not have the expected shape.
 */
public final class ExportAndServe {

  private ExportAndServe() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "example-model");
    ExperimentConfig config = ConfigLoader.loadNamed("tiny");

    // Flax's initialisers, seeded per parameter path: the same seed gives the same weights anywhere.
    Map<String, HostArray> weights;
    try (ModelGraph model = ModelGraph.build(config, Mode.INFERENCE, -1)) {
      weights = model.store().initialValues(42);
      System.out.printf(
          "built %s: %d parameters in %d arrays, %d ops%n",
          config.source(), model.store().parameterCount(), weights.size(), model.opCount());
    }
    SavedModelExporter.of(ExportSpec.of(config, Optional.empty()))
        .overwrite(true)
        .export(out, weights);

    int batch = 3;
    long[] shape = config.input().shape(batch);
    float[] pixels = new float[Math.toIntExact(HostArray.numElements(shape))];
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextDouble(-1, 1);
    }
    try (ServingModel served = ServingModel.load(out)) {
      HostArray images = new HostArray(shape, pixels);
      HostArray logits = served.run("serving_default", images);
      // A fresh head is zero (Scenic initialises output_projection so), hence zero logits; the
      // pooled representation before it already depends on the input.
      HostArray pooled = served.run("representation", images);
      long[] expected = {batch, config.numClasses()};
      boolean finite = true;
      for (float v : logits.data()) {
        finite &= Float.isFinite(v);
      }
      for (float v : pooled.data()) {
        finite &= Float.isFinite(v);
      }
      System.out.printf(
          "served %s from %s: logits %s, representation %s, first values %s%n",
          served.signatures(),
          out,
          Arrays.toString(logits.shape()),
          Arrays.toString(pooled.shape()),
          Arrays.toString(Arrays.copyOf(pooled.data(), 4)));
      if (!Arrays.equals(logits.shape(), expected) || !finite) {
        System.err.println("unexpected logits: shape " + Arrays.toString(logits.shape()));
        System.exit(1);
      }
    }
  }
}
