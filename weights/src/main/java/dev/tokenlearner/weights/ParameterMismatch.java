package dev.tokenlearner.weights;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One way a checkpoint fails to fit a model's parameters.
 *
 * @param kind missing from the checkpoint, unexpected in it, or wrongly shaped
 * @param path the Flax path, e.g. {@code Transformer/encoder_norm/scale}
 * @param expected the model's shape; empty for {@link Kind#UNEXPECTED}
 * @param found the checkpoint's shape; empty for {@link Kind#MISSING}
 * @param note extra detail (e.g. why a position embedding could not be resized); may be empty
 */
public record ParameterMismatch(
    Kind kind, String path, Optional<long[]> expected, Optional<long[]> found, String note) {

  /** What went wrong with one parameter. */
  public enum Kind {
    /** The model has the parameter, the checkpoint does not. */
    MISSING,
    /** The checkpoint has the parameter, the model does not. */
    UNEXPECTED,
    /** Both have it, with different shapes. */
    WRONG_SHAPE
  }

  /**
   * Validates and copies the shapes.
   *
   * @throws IllegalArgumentException if a shape required by the kind is absent
   */
  public ParameterMismatch {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(note, "note");
    expected = expected.map(long[]::clone);
    found = found.map(long[]::clone);
    if (kind != Kind.UNEXPECTED && expected.isEmpty()) {
      throw new IllegalArgumentException(kind + " " + path + " needs the expected shape");
    }
    if (kind != Kind.MISSING && found.isEmpty()) {
      throw new IllegalArgumentException(kind + " " + path + " needs the found shape");
    }
  }

  /**
   * A parameter the checkpoint lacks.
   *
   * @param path the Flax path
   * @param expected the model's shape
   * @return the mismatch
   */
  public static ParameterMismatch missing(String path, long[] expected) {
    return new ParameterMismatch(Kind.MISSING, path, Optional.of(expected), Optional.empty(), "");
  }

  /**
   * A parameter the model lacks.
   *
   * @param path the Flax path
   * @param found the checkpoint's shape
   * @return the mismatch
   */
  public static ParameterMismatch unexpected(String path, long[] found) {
    return new ParameterMismatch(Kind.UNEXPECTED, path, Optional.empty(), Optional.of(found), "");
  }

  /**
   * A parameter whose shapes differ.
   *
   * @param path the Flax path
   * @param expected the model's shape
   * @param found the checkpoint's shape
   * @param note why no adaptation applied, or empty
   * @return the mismatch
   */
  public static ParameterMismatch wrongShape(
      String path, long[] expected, long[] found, String note) {
    return new ParameterMismatch(
        Kind.WRONG_SHAPE, path, Optional.of(expected), Optional.of(found), note);
  }

  /**
   * One line for error messages, e.g. {@code wrong shape embedding/kernel: expected [4, 4, 3, 48],
   * found [4, 4, 3, 32]}.
   *
   * @return the description
   */
  public String describe() {
    String line =
        switch (kind) {
          case MISSING -> "missing      " + path + ": expected " + shape(expected);
          case UNEXPECTED -> "unexpected   " + path + ": found " + shape(found);
          case WRONG_SHAPE ->
              "wrong shape  " + path + ": expected " + shape(expected) + ", found " + shape(found);
        };
    return note.isEmpty() ? line : line + " (" + note + ")";
  }

  private static String shape(Optional<long[]> s) {
    return s.map(Arrays::toString).orElse("-");
  }

  @Override
  public String toString() {
    return describe();
  }
}
