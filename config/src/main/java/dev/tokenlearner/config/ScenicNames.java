package dev.tokenlearner.config;

import dev.tokenlearner.core.InvalidInputException;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Looks up {@link ScenicNamed} enum constants by their Scenic names (exact, case-sensitive). */
public final class ScenicNames {
  private ScenicNames() {}

  /**
   * Finds the constant with a Scenic name.
   *
   * @param values the enum's constants
   * @param name the config value
   * @param <E> the enum
   * @return the constant, or empty when no constant has that name
   */
  public static <E extends ScenicNamed> Optional<E> find(E[] values, String name) {
    return Arrays.stream(values).filter(v -> v.scenicName().equals(name)).findFirst();
  }

  /**
   * Looks a constant up by its Scenic name.
   *
   * @param values the enum's constants
   * @param name the config value
   * @param what what the name names, for the message (e.g. {@code "classifier"})
   * @param <E> the enum
   * @return the constant
   * @throws InvalidInputException naming the value and the accepted names
   */
  public static <E extends ScenicNamed> E lookup(E[] values, String name, String what) {
    return find(values, name)
        .orElseThrow(
            () ->
                new InvalidInputException(
                    "unknown " + what + " '" + name + "'; expected " + quoted(values)));
  }

  /**
   * The Scenic names of an enum's constants.
   *
   * @param values the enum's constants
   * @return the names, sorted
   */
  public static Set<String> names(ScenicNamed[] values) {
    return Arrays.stream(values)
        .map(ScenicNamed::scenicName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The names in declaration order, quoted: {@code 'gap', 'gmp', 'gsp'}. */
  static String quoted(ScenicNamed[] values) {
    return Arrays.stream(values)
        .map(v -> "'" + v.scenicName() + "'")
        .collect(Collectors.joining(", "));
  }
}
