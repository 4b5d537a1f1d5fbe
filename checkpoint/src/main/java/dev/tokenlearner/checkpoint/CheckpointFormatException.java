package dev.tokenlearner.checkpoint;

import dev.tokenlearner.core.UserError;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file or directory is not in a form this toolkit reads, or is corrupt.
 *
 * <p>The message names the file, the key path inside it (where known), what was expected and what
 * was found.
 */
public class CheckpointFormatException extends IOException implements UserError {

  private final Path file;

  /**
   * @param file the checkpoint file or directory at fault
   * @param message what was expected and what was found
   */
  public CheckpointFormatException(Path file, String message) {
    super(file + ": " + message);
    this.file = file;
  }

  /**
   * @param file the checkpoint file or directory at fault
   * @param message what was expected and what was found
   * @param cause the underlying error
   */
  public CheckpointFormatException(Path file, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.file = file;
  }

  /** The checkpoint file or directory at fault. */
  public Path file() {
    return file;
  }
}
