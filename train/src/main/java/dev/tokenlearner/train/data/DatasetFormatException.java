package dev.tokenlearner.train.data;

import dev.tokenlearner.core.UserError;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset file that is not what its reader expects: a wrong magic number, a header that claims
 * more than the file holds, a label outside the classes. The message names the file and what was
 * expected and found.
 */
public final class DatasetFormatException extends IOException implements UserError {
  private static final long serialVersionUID = 1L;

  /**
   * @param file the file being read
   * @param message what was expected and what was found
   */
  public DatasetFormatException(Path file, String message) {
    super(file + ": " + message);
  }

  /**
   * @param file the file being read
   * @param message what was expected and what was found
   * @param cause the underlying error
   */
  public DatasetFormatException(Path file, String message, Throwable cause) {
    super(file + ": " + message, cause);
  }
}
