package dev.tokenlearner.examples;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.export.serving.Predictions;
import dev.tokenlearner.export.serving.TokenLearnerPredictor;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.ops.Mode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import javax.imageio.ImageIO;

/**
 * Classifies one image with {@link TokenLearnerPredictor}: its top class, the top 2, and the
 * image's embedding (the pooled features the head sees).
 *
 * <p>Usage: {@code PredictImage [model-dir]}. With the SavedModel that {@link TrainFromArrays}
 * wrote (left or right half bright), it draws an image with a bright left half and exits with 1
 * unless the model says class 0. Without a SavedModel at {@code model-dir}, it first exports the
 * bundled {@code tiny} config with fresh weights there (whose head is zero, so every class is
 * equally likely).
 */
public final class PredictImage {

  private PredictImage() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args.length > 0 ? args[0] : "predict-image-model");
    boolean trained = Files.exists(model.resolve("saved_model.pb"));
    if (!trained) {
      ExperimentConfig tiny = ConfigLoader.loadNamed("tiny");
      try (ModelGraph graph = ModelGraph.build(tiny, Mode.INFERENCE, -1)) {
        SavedModelExporter.of(ExportSpec.of(tiny, Optional.empty()))
            .export(model, graph.store().initialValues(42));
      }
    }

    // An image file as a user would have one: a bright left half on a dark right half.
    BufferedImage image = new BufferedImage(48, 40, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(40, 40, 40));
    g.fillRect(0, 0, 48, 40);
    g.setColor(new Color(210, 210, 210));
    g.fillRect(0, 0, 24, 40);
    g.dispose();
    Path file = model.toAbsolutePath().resolveSibling("left.png");
    ImageIO.write(image, "png", file.toFile());

    try (TokenLearnerPredictor predictor = TokenLearnerPredictor.load(model)) {
      Predictions out = predictor.predict(file);
      Predictions.Scored best = out.best();
      System.out.printf("%s: class %s, probability %.3f%n", file, best.label(), best.probability());
      for (Predictions.Scored s : out.topK(0, 2)) {
        System.out.printf("  %s %.3f%n", s.label(), s.probability());
      }
      HostArray features = predictor.embed(file);
      System.out.printf(
          "  embedding %s, first values %s%n",
          Arrays.toString(features.shape()),
          Arrays.toString(Arrays.copyOf(features.data(), 4)));
      // The decoded image gives what its file gives: both go through the same preprocessing.
      float same = predictor.predict(image).best().probability();
      if (Math.abs(same - best.probability()) > 1e-5f || features.shape()[0] != 1) {
        System.err.println("the image and its file disagree: " + same + " vs " + best);
        System.exit(1);
      }
      if (trained && best.index() != 0) {
        System.err.println("expected class 0 (bright left half), got " + best);
        System.exit(1);
      }
    }
  }
}
