package dev.tokenlearner.export;

import dev.tokenlearner.core.UserError;
import java.io.IOException;

/**
 * An image file or record cannot be decoded: not an image format TensorFlow decodes (JPEG, PNG,
 * GIF, BMP), corrupt, or larger than {@link ImageInputs#MAX_FILE_BYTES}. The message names the
 * source.
 */
public class ImageFormatException extends IOException implements UserError {

  private static final long serialVersionUID = 1L;

  private final String source;

  /**
   * @param source the file or record at fault
   * @param message what is wrong
   * @param cause the decoder's error, or null
   */
  public ImageFormatException(String source, String message, Throwable cause) {
    super(source + ": " + message, cause);
    this.source = source;
  }

  /** The file or record at fault. */
  public String source() {
    return source;
  }
}
