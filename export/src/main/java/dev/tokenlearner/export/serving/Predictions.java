package dev.tokenlearner.export.serving;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * A classifier's output for a batch: logits, probabilities and class names.
 *
 * @param logits {@code [n, num_classes]}
 * @param probabilities {@code [n, num_classes]}: softmax of the logits, or the sigmoid of each for
 *     a multilabel model
 * @param labels class names in class order; the index as text where the model records none
 */
public record Predictions(HostArray logits, HostArray probabilities, List<String> labels) {

  /** A class and its probability. */
  public record Scored(int index, String label, float probability) {}

  /** Checks that the arrays agree. */
  public Predictions {
    Objects.requireNonNull(logits, "logits");
    Objects.requireNonNull(probabilities, "probabilities");
    labels = List.copyOf(labels);
    if (logits.rank() != 2 || !java.util.Arrays.equals(logits.shape(), probabilities.shape())) {
      throw new IllegalArgumentException(
          "logits "
              + logits.shapeString()
              + " and probabilities "
              + probabilities.shapeString()
              + " must both be [n, num_classes]");
    }
    if (labels.size() != logits.shape()[1]) {
      throw new IllegalArgumentException(
          labels.size() + " labels for " + logits.shape()[1] + " classes");
    }
  }

  /**
   * Turns logits into predictions.
   *
   * @param logits {@code [n, num_classes]}
   * @param multilabel sigmoid per class instead of a softmax over classes
   * @param labels class names, or empty to name classes by index
   * @return the predictions
   */
  public static Predictions fromLogits(HostArray logits, boolean multilabel, List<String> labels) {
    if (logits.rank() != 2) {
      throw new IllegalArgumentException(
          "logits must be [n, num_classes], got " + logits.shapeString());
    }
    int n = Math.toIntExact(logits.shape()[0]);
    int c = Math.toIntExact(logits.shape()[1]);
    float[] x = logits.data();
    float[] p = new float[x.length];
    for (int i = 0; i < n; i++) {
      int o = i * c;
      if (multilabel) {
        for (int j = 0; j < c; j++) {
          p[o + j] = (float) (1.0 / (1.0 + Math.exp(-x[o + j])));
        }
      } else {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) {
          max = Math.max(max, x[o + j]);
        }
        double sum = 0;
        for (int j = 0; j < c; j++) {
          sum += Math.exp(x[o + j] - max);
        }
        for (int j = 0; j < c; j++) {
          p[o + j] = (float) (Math.exp(x[o + j] - max) / sum);
        }
      }
    }
    List<String> names =
        labels.isEmpty() ? IntStream.range(0, c).mapToObj(Integer::toString).toList() : labels;
    return new Predictions(logits, new HostArray(logits.shape(), p), names);
  }

  /**
   * Returns the number of examples.
   *
   * @return {@code n}
   */
  public int size() {
    return Math.toIntExact(logits.shape()[0]);
  }

  /**
   * The most probable class of one example (ties: lower index).
   *
   * @param example the example index
   * @return its top-1 class, label and probability
   */
  public Scored best(int example) {
    return topK(example, 1).get(0);
  }

  /**
   * The most probable class of a single-image prediction.
   *
   * @return the top-1 class, label and probability
   * @throws IllegalStateException if these predictions hold more than one example; use {@link
   *     #best(int)}
   */
  public Scored best() {
    if (size() != 1) {
      throw new IllegalStateException(size() + " examples; say which with best(example)");
    }
    return best(0);
  }

  /**
   * The {@code k} most probable classes of one example, most probable first (ties: lower index
   * first).
   *
   * @param example the example index
   * @param k how many; capped at the number of classes
   * @return the classes
   * @throws IllegalArgumentException if {@code k} is not positive
   */
  public List<Scored> topK(int example, int k) {
    if (k <= 0) {
      throw new InvalidInputException("top-k must be positive, got " + k);
    }
    int c = labels.size();
    int o = Objects.checkIndex(example, size()) * c;
    float[] p = probabilities.data();
    List<Integer> order = new ArrayList<>(IntStream.range(0, c).boxed().toList());
    order.sort(Comparator.<Integer>comparingDouble(j -> -p[o + j]).thenComparingInt(j -> j));
    return order.subList(0, Math.min(k, c)).stream()
        .map(j -> new Scored(j, labels.get(j), p[o + j]))
        .toList();
  }
}
