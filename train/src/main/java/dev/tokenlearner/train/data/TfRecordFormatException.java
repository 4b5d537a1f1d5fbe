package dev.tokenlearner.train.data;

import dev.tokenlearner.core.UserError;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A TFRecord file whose framing or checksums are wrong, or whose records are not the {@code
 * tf.train.Example}s expected. The message names the file, the byte offset, what was expected and
 * what was found.
 */
public final class TfRecordFormatException extends IOException implements UserError {
  private static final long serialVersionUID = 1L;

  /**
   * @param file the file being read
   * @param offset byte offset of the record at fault
   * @param message what was expected and what was found
   */
  public TfRecordFormatException(Path file, long offset, String message) {
    super(file + " at byte " + offset + ": " + message);
  }

  /**
   * @param file the file being read
   * @param offset byte offset of the record at fault
   * @param message what was expected and what was found
   * @param cause the underlying failure
   */
  public TfRecordFormatException(Path file, long offset, String message, Throwable cause) {
    super(file + " at byte " + offset + ": " + message, cause);
  }
}
