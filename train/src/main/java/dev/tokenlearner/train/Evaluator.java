package dev.tokenlearner.train;

import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.data.ImageDataset;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Held-out evaluation: top-1 accuracy and the mean loss (Scenic's evaluation loss: the model's loss
 * without label smoothing) over the whole held-out split, computed by the training graph's
 * inference tower on the trained variables, so no weights are copied.
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
  Evaluation evaluate(TrainGraph train) throws IOException {
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
