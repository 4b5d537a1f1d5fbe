package dev.tokenlearner.graph.flops;

import java.util.List;
import java.util.Locale;

/**
 * FLOPs and parameters of a model, per layer and in total, next to the plain ViT of the same
 * dimensions (the same config without TokenLearner). Counts are per example; a multiply-add is 2
 * FLOPs.
 *
 * @param layers per-step costs in forward order
 * @param flops total FLOPs of this model
 * @param params total parameters of this model
 * @param plainFlops total FLOPs of the plain ViT
 * @param plainParams total parameters of the plain ViT
 */
public record FlopReport(
    List<LayerCost> layers, long flops, long params, long plainFlops, long plainParams) {

  /**
   * Copies the layer list and checks that it adds up.
   *
   * @throws IllegalArgumentException if the layers do not sum to the totals
   */
  public FlopReport {
    layers = List.copyOf(layers);
    long f = layers.stream().mapToLong(LayerCost::flops).sum();
    long p = layers.stream().mapToLong(LayerCost::params).sum();
    if (f != flops || p != params) {
      throw new IllegalArgumentException(
          "layers sum to " + f + " FLOPs / " + p + " params, totals say " + flops + " / " + params);
    }
  }

  /**
   * How many times cheaper this model is than the plain ViT.
   *
   * @return {@code plainFlops / flops}
   */
  public double flopRatio() {
    return (double) plainFlops / flops;
  }

  /**
   * Returns the total in GFLOPs.
   *
   * @return {@code flops / 1e9}
   */
  public double gflops() {
    return flops / 1e9;
  }

  /**
   * A fixed-width table: one line per layer, then totals and the comparison with the plain ViT;
   * MFLOPs and parameters with thousands separators.
   *
   * @return the table, lines separated by {@code \n}
   */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(Locale.ROOT, "%-40s %7s %14s %12s%n", "layer", "tokens", "MFLOPs", "params"));
    for (LayerCost l : layers) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-40s %7d %,14.3f %,12d%n",
              l.name(),
              l.tokens(),
              l.flops() / 1e6,
              l.params()));
    }
    sb.append(
        String.format(Locale.ROOT, "%-40s %7s %,14.3f %,12d%n", "total", "", flops / 1e6, params));
    sb.append(
        String.format(
            Locale.ROOT,
            "plain ViT of the same dims: %.3f GFLOPs, %,d params; ratio %.3fx%n",
            plainFlops / 1e9,
            plainParams,
            flopRatio()));
    return sb.toString();
  }
}
