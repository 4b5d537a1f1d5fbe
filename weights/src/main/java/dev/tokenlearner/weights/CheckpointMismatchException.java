package dev.tokenlearner.weights;

import dev.tokenlearner.core.UserError;
import java.util.List;

/**
 * A checkpoint does not fit the model it is imported into. One exception lists every missing,
 * unexpected and wrongly shaped parameter, so a user fixes a config in one go.
 */
public final class CheckpointMismatchException extends IllegalArgumentException
    implements UserError {

  private static final long serialVersionUID = 1L;

  private final transient List<ParameterMismatch> mismatches;

  /**
   * @param source what was imported (a checkpoint path), for the message
   * @param mismatches every problem found; not empty
   * @throws IllegalArgumentException if {@code mismatches} is empty
   */
  public CheckpointMismatchException(String source, List<ParameterMismatch> mismatches) {
    super(message(source, mismatches));
    this.mismatches = List.copyOf(mismatches);
  }

  /**
   * Returns every problem found, missing first, then unexpected, then wrongly shaped.
   *
   * @return the mismatches
   */
  public List<ParameterMismatch> mismatches() {
    return mismatches;
  }

  private static String message(String source, List<ParameterMismatch> mismatches) {
    if (mismatches.isEmpty()) {
      throw new IllegalArgumentException("a mismatch exception needs at least one mismatch");
    }
    long missing = count(mismatches, ParameterMismatch.Kind.MISSING);
    long unexpected = count(mismatches, ParameterMismatch.Kind.UNEXPECTED);
    long wrong = count(mismatches, ParameterMismatch.Kind.WRONG_SHAPE);
    StringBuilder sb =
        new StringBuilder("checkpoint ")
            .append(source)
            .append(" does not fit the model: ")
            .append(missing)
            .append(" missing, ")
            .append(unexpected)
            .append(" unexpected, ")
            .append(wrong)
            .append(" wrongly shaped parameter(s)");
    for (ParameterMismatch m : mismatches) {
      sb.append("\n  ").append(m.describe());
    }
    return sb.toString();
  }

  private static long count(List<ParameterMismatch> all, ParameterMismatch.Kind kind) {
    return all.stream().filter(m -> m.kind() == kind).count();
  }
}
