package dev.tokenlearner.examples;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.WorkdirExport;
import dev.tokenlearner.train.FinalModel;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import dev.tokenlearner.train.data.ArraysDataset;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Trains a small TokenLearner ViT from Java arrays: 32x32 images whose left or right half is
 * bright (class 0 or 1), made in memory, then held out the same way. The run writes checkpoints
 * and a SavedModel ({@code <workdir>/saved_model}) that {@link PredictImage} can load.
 *
 * <p>Usage: {@code TrainFromArrays [workdir]} (must be empty or absent); exits with 1 if the model
 * did not learn the two classes.
 */
public final class TrainFromArrays {

  private static final String CONFIG =
      """
      experiment_name: left-or-right
      dataset_configs: {image_size: [32, 32], num_classes: 2}
      preprocessing: {normalization: zero_centered}
      model_name: token_learner_classification
      model:
        hidden_size: 32
        num_heads: 2
        mlp_dim: 64
        num_layers: 2
        tokenizer: {type: dynamic, patches: {size: [4, 4]}, num_tokens: 4, tokenlearner_loc: 1}
        representation_size: null
        classifier: gap
      optimizer: adam
      batch_size: 32
      eval_batch_size: 64
      num_training_steps: 60
      log_eval_steps: 60
      log_summary_steps: 20
      checkpoint_steps: 60
      rng_seed: 0
      lr_configs:
        learning_rate_schedule: compound
        factors: constant*linear_warmup
        warmup_steps: 10
        base_learning_rate: 3.0e-3
      """;

  private TrainFromArrays() {}

  public static void main(String[] args) throws Exception {
    Path workdir = Path.of(args.length > 0 ? args[0] : "train-from-arrays");
    ExperimentConfig config = ConfigLoader.parse(CONFIG, "TrainFromArrays");

    int n = 256;
    int[] labels = new int[n];
    HostArray images = halves(config, n, labels, new SplittableRandom(1));
    int[] evalLabels = new int[64];
    HostArray evalImages = halves(config, 64, evalLabels, new SplittableRandom(2));

    TrainSummary summary;
    Path savedModel;
    try (ArraysDataset data =
        ArraysDataset.of(images, labels, evalImages, evalLabels, config.input())) {
      summary = Trainer.run(config, workdir, false, data, TrainOptions.quiet().withFinalModel(true));
    }
    // The trainer hands the final parameters back; the export module writes the SavedModel.
    FinalModel m = summary.finalModel().orElseThrow();
    savedModel =
        WorkdirExport.write(
            config, workdir, m.params(), m.checkpoint(), m.labels(), m.sampleImages(), m.sampleLabels());
    double accuracy = summary.evalAccuracy().orElse(0);
    System.out.printf(
        "trained %d steps on %s: training loss %.4f, held-out accuracy %.3f; model in %s%n",
        summary.finalStep(),
        summary.dataset(),
        summary.trainLoss(),
        accuracy,
        savedModel);
    if (accuracy < 0.9) {
      System.err.println("the model did not learn left from right: accuracy " + accuracy);
      System.exit(1);
    }
  }

  /**
   * Images in {@code [-1, 1]} (zero_centered, as the config says): noise, plus a bright left half
   * for class 0 or a bright right half for class 1.
   */
  static HostArray halves(ExperimentConfig config, int n, int[] labels, SplittableRandom random) {
    long[] shape = config.input().shape(n);
    int h = (int) shape[1];
    int w = (int) shape[2];
    int c = (int) shape[3];
    float[] pixels = new float[n * h * w * c];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          boolean bright = (x < w / 2) == (labels[i] == 0);
          for (int k = 0; k < c; k++) {
            pixels[((i * h + y) * w + x) * c + k] =
                (bright ? 0.6f : -0.6f) + (float) random.nextDouble(-0.3, 0.3);
          }
        }
      }
    }
    return new HostArray(shape, pixels);
  }
}
