package dev.tokenlearner.train;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.SkippingDataset;
import dev.tokenlearner.train.data.VideoDataset;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Held-out evaluation: top-1 accuracy and the mean loss (Scenic's evaluation loss: the model's loss
 * without label smoothing) over the whole held-out split, computed by the training graph's
 * inference tower on the trained variables, so no weights are copied.
 *
 * <p>For video, {@link #evaluateViews} is Scenic's (ViViT trainer's) multi-crop test: every
 * held-out video is run as all its {@code num_test_clips × (3 or 1)} views, the views' logits are
 * averaged (logits, not softmax probabilities: the trainer's {@code test_step} leaves {@code
 * softmax_logits} off), and top-1, top-5 (more than 5 classes) and the softmax cross-entropy are
 * scored on the averaged logits, one example per video.
 */
final class Evaluator {

  /** Held-out batches are kept in memory when they take at most this many floats. */
  static final long CACHE_FLOATS = 64L << 20;

  /** Result of one evaluation: mean loss, top-1 accuracy and the number of examples. */
  record Evaluation(double loss, double accuracy, long examples) {}

  private final ImageDataset dataset;
  private final int batchSize;
  private List<Batch> cache;

  Evaluator(ImageDataset dataset, int batchSize) {
    this.dataset = dataset;
    this.batchSize = batchSize;
  }

  /**
   * Evaluates the current weights of {@code train}.
   *
   * @throws IOException if a held-out example cannot be read
   */
  Evaluation evaluate(TrainStep train) throws IOException {
    double[] sums = new double[2];
    long n = 0;
    if (cache != null) {
      for (Batch b : cache) {
        n += add(train.evaluate(b), b, sums);
      }
      return new Evaluation(sums[0] / n, sums[1] / n, n);
    }
    long total = dataset.numEval();
    // Small held-out splits are kept after the first pass; large ones are read each time.
    List<Batch> keep = total * dataset.exampleSize() <= CACHE_FLOATS ? new ArrayList<>() : null;
    for (long from = 0; from < total; from += batchSize) {
      Batch b = batch(from, (int) Math.min(batchSize, total - from));
      n += add(train.evaluate(b), b, sums);
      if (keep != null) {
        keep.add(b);
      }
    }
    cache = keep;
    return new Evaluation(sums[0] / n, sums[1] / n, n);
  }

  /**
   * Result of a multi-view test: mean loss, top-1 and top-5 accuracy over videos.
   *
   * @param loss mean softmax cross-entropy of the view-averaged logits
   * @param accuracy top-1 accuracy of the view-averaged logits
   * @param top5Accuracy top-5 accuracy, when there are more than 5 classes (as Scenic)
   * @param videos held-out videos scored
   * @param views views per video
   */
  record MultiViewEvaluation(
      double loss, double accuracy, OptionalDouble top5Accuracy, long videos, int views) {}

  /** The model's logits for a batch, {@code [batch][num_classes]}. */
  @FunctionalInterface
  interface Logits {
    /**
     * Runs the model.
     *
     * @param batch held-out examples
     * @return one row of logits per example
     */
    float[][] of(Batch batch);
  }

  /**
   * The video dataset behind {@code dataset} when the experiment asks for Scenic's multi-crop test
   * ({@code dataset_configs.do_multicrop_test: true}).
   *
   * @param cfg the experiment
   * @param dataset the training data (possibly wrapped to skip bad examples)
   * @return the dataset whose views are tested, or empty
   */
  static Optional<VideoDataset> multiCropTest(ExperimentConfig cfg, ImageDataset dataset) {
    if (!cfg.train().dataset().video().multicropTest()) {
      return Optional.empty();
    }
    ImageDataset inner = dataset instanceof SkippingDataset s ? s.inner() : dataset;
    return inner instanceof VideoDataset v ? Optional.of(v) : Optional.empty();
  }

  /**
   * Scenic's {@code dataset_configs.log_test_epochs}: how many epochs between multi-crop tests.
   *
   * @param cfg the experiment
   * @return the epochs, or empty if unset
   */
  static OptionalDouble logTestEpochs(ExperimentConfig cfg) {
    return cfg.train().dataset().video().logTestEpochs();
  }

  /**
   * Runs every view of every held-out video and scores the view-averaged logits. Views are batched
   * {@code batchSize} at a time across videos, so a video's views may span batches.
   *
   * @param videos the held-out videos and their views
   * @param batchSize views per model run
   * @param model the model's logits
   * @return the test metrics
   * @throws IOException if a held-out video cannot be read
   */
  static MultiViewEvaluation evaluateViews(VideoDataset videos, int batchSize, Logits model)
      throws IOException {
    int views = videos.numViews();
    long n = videos.numEval();
    long pairs = n * views;
    int[] shape = videos.exampleShape();
    int size = videos.exampleSize();
    // Logit sums of the videos whose views are not all in yet (at most two batches' worth).
    Map<Long, double[]> open = new HashMap<>();
    double lossSum = 0;
    long top1 = 0;
    long top5 = 0;
    int classes = 0;
    for (long from = 0; from < pairs; from += batchSize) {
      int b = (int) Math.min(batchSize, pairs - from);
      float[] x = new float[b * size];
      int[] y = new int[b];
      for (int j = 0; j < b; j++) {
        long p = from + j;
        y[j] = videos.evalView(p / views, (int) (p % views), x, j * size);
      }
      float[][] logits = model.of(new Batch(-1, Batch.shapeOf(b, shape), x, y));
      for (int j = 0; j < b; j++) {
        long p = from + j;
        int width = logits[j].length;
        classes = width;
        double[] sum = open.computeIfAbsent(p / views, v -> new double[width]);
        for (int c = 0; c < sum.length; c++) {
          sum[c] += logits[j][c];
        }
        if (p % views == views - 1) {
          open.remove(p / views);
          for (int c = 0; c < sum.length; c++) {
            sum[c] /= views;
          }
          double[] s = score(sum, y[j]);
          lossSum += s[0];
          top1 += (long) s[1];
          top5 += (long) s[2];
        }
      }
    }
    return new MultiViewEvaluation(
        lossSum / n,
        (double) top1 / n,
        classes > 5 ? OptionalDouble.of((double) top5 / n) : OptionalDouble.empty(),
        n,
        views);
  }

  /**
   * Scores one example's logits.
   *
   * @param logits averaged logits
   * @param label the true class
   * @return {@code {softmax cross-entropy, top-1 correct (0/1), top-5 correct (0/1)}}; top-1 breaks
   *     ties towards the lower class as {@code argmax}
   */
  static double[] score(double[] logits, int label) {
    double max = Double.NEGATIVE_INFINITY;
    int arg = 0;
    for (int c = 0; c < logits.length; c++) {
      if (logits[c] > max) {
        max = logits[c];
        arg = c;
      }
    }
    double z = 0;
    for (double l : logits) {
      z += Math.exp(l - max);
    }
    int above = 0;
    for (double l : logits) {
      if (l > logits[label]) {
        above++;
      }
    }
    return new double[] {
      max + Math.log(z) - logits[label], arg == label ? 1 : 0, above < 5 ? 1 : 0
    };
  }

  private static int add(double[] lossSumAndCorrect, Batch b, double[] sums) {
    sums[0] += lossSumAndCorrect[0];
    sums[1] += lossSumAndCorrect[1];
    return b.size();
  }

  private Batch batch(long from, int b) throws IOException {
    int[] s = dataset.exampleShape();
    int size = dataset.exampleSize();
    float[] x = new float[b * size];
    int[] y = new int[b];
    for (int j = 0; j < b; j++) {
      y[j] = dataset.eval(from + j, x, j * size);
    }
    return new Batch(-1, Batch.shapeOf(b, s), x, y);
  }
}
