package dev.tokenlearner.checkpoint.npy;

import dev.tokenlearner.core.UserError;
import java.io.IOException;

/**
 * A {@code .npy} file (or {@code .npz} entry) is not in a form this toolkit reads, or is corrupt.
 *
 * <p>The message names the source, what was expected and what was found.
 */
public class NpyFormatException extends IOException implements UserError {

  /**
   * @param source the file or entry at fault, as it should appear in the message
   * @param message what was expected and what was found
   */
  public NpyFormatException(String source, String message) {
    super(source + ": " + message);
  }
}
