package dev.tokenlearner.config;

/** An enum constant with the name Scenic's configs use for it ({@link ScenicNames} looks it up). */
public interface ScenicNamed {

  /**
   * Returns the config string Scenic uses.
   *
   * @return e.g. {@code "gap"}
   */
  String scenicName();
}
