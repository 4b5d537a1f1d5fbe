package dev.tokenlearner.core;

/**
 * An input that does not fit what it is given to: a batch whose shape differs from a model's
 * signature, an unknown dataset or signature name, an empty image folder. The message names the
 * input and the expected and found values.
 */
public class InvalidInputException extends IllegalArgumentException implements UserError {

  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong, naming the input and the expected and found values
   */
  public InvalidInputException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong, naming the input and the expected and found values
   * @param cause the underlying error
   */
  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
