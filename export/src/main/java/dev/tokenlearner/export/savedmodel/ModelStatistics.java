package dev.tokenlearner.export.savedmodel;

/**
 * Size and cost of an exported model, recorded in its metadata.
 *
 * @param parameters number of float values over all parameters
 * @param parameterArrays number of parameter arrays (variables)
 * @param gflops GFLOPs of one forward pass on one example ({@code FlopCounter})
 * @param plainVitGflops GFLOPs of a plain ViT of the same dimensions, for comparison
 */
public record ModelStatistics(
    long parameters, int parameterArrays, double gflops, double plainVitGflops) {

  /** Checks the counts. */
  public ModelStatistics {
    if (parameters < 0 || parameterArrays < 0 || gflops < 0 || plainVitGflops < 0) {
      throw new IllegalArgumentException("model statistics must not be negative");
    }
  }
}
