package dev.tokenlearner.train.distributed;

/**
 * A replica of a data-parallel run failed, or a peer never started: a collective or RPC error (a
 * peer died, a collective timed out) or a task that did not come up in time. TensorFlow cannot
 * recover from a failed collective in-process; the process should exit with a non-zero status and
 * the whole job be restarted with {@code --resume}, which continues from the chief's last
 * checkpoint.
 */
public final class ReplicaFailedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, naming the replica or task
   * @param cause TensorFlow's error, or null
   */
  public ReplicaFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
