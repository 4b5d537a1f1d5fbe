package dev.tokenlearner.cli;

/** A problem the user can fix, reported as one line with exit code 1. */
public final class UserException extends RuntimeException {

  /**
   * @param message what is wrong and, where it helps, what to do
   */
  public UserException(String message) {
    super(message);
  }
}
