package dev.tokenlearner.graph.flops;

/**
 * The cost of one step of the forward pass, per example.
 *
 * @param name the parameter-tree prefix of the step ({@code embedding}, {@code
 *     Transformer/encoderblock_3}, {@code Transformer/TokenLearnerModuleV11_0}, ...), or {@code
 *     pool} for the parameter-free pooling
 * @param tokens the sequence length the step reads
 * @param flops floating-point operations, a multiply-add counted as 2
 * @param params parameters under {@code name}
 */
public record LayerCost(String name, int tokens, long flops, long params) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if the name is null or a count is negative
   */
  public LayerCost {
    if (name == null || tokens < 0 || flops < 0 || params < 0) {
      throw new IllegalArgumentException(
          "layer cost needs a name and non-negative counts, got "
              + name
              + " tokens="
              + tokens
              + " flops="
              + flops
              + " params="
              + params);
    }
  }
}
