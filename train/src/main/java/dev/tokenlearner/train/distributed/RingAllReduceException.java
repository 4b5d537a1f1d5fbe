package dev.tokenlearner.train.distributed;

/**
 * A host-side ring all-reduce failed: a peer did not come up or connect in time, closed its
 * connection, sent a different vector, or a step exceeded its timeout. The message names the
 * replica and its ring address. The ring is unusable afterwards; as with TensorFlow's collectives,
 * restart every task with {@code --resume}.
 */
public final class RingAllReduceException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, naming the peer
   * @param cause the I/O error, or null
   */
  public RingAllReduceException(String message, Throwable cause) {
    super(message, cause);
  }
}
