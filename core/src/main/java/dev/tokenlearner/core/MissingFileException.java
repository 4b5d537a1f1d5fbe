package dev.tokenlearner.core;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file or folder the user named that does not exist; the message is {@code no such file: PATH}.
 */
public class MissingFileException extends InvalidInputException {

  private static final long serialVersionUID = 1L;

  /**
   * @param file the path that does not exist
   */
  public MissingFileException(Path file) {
    super("no such file: " + file);
  }

  /**
   * Checks that a path exists, before any work starts on it.
   *
   * @param file a file or folder
   * @return {@code file}
   * @throws MissingFileException if nothing exists at {@code file}
   */
  public static Path requireExists(Path file) {
    if (!Files.exists(file)) {
      throw new MissingFileException(file);
    }
    return file;
  }
}
