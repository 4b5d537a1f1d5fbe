package dev.tokenlearner.train.distributed;

import java.util.Locale;

/**
 * How the collective ops of a replica are built.
 *
 * <p>On CPUs an all-reduce goes through TensorFlow's ring over gRPC. There, many all-reduces of
 * {@code chunkBytes} each, in flight at once, move a large tensor several times faster than one
 * ring over the whole tensor (measured with {@code tokenlearner bench --allreduce}: 22 M floats
 * between two loopback tasks took 1.3–1.9 s in one piece and 0.4–0.55 s in 2 MiB chunks). On GPUs
 * the ops ask for NCCL ({@code communication_hint: nccl}), which moves GPU memory directly and runs
 * each all-reduce whole.
 *
 * @param timeoutSeconds how long a collective waits for the other replicas before failing
 * @param chunkBytes largest all-reduce on CPU, in bytes of float32 values; larger ones are split
 * @param communicationHint the ops' {@code communication_hint}: {@code auto}, {@code ring} or
 *     {@code nccl}
 */
public record CollectiveSettings(float timeoutSeconds, long chunkBytes, String communicationHint) {

  /** The measured best chunk on CPU: 2 MiB. */
  public static final long DEFAULT_CHUNK_BYTES = 2L << 20;

  /** NCCL's hint. */
  public static final String NCCL = "nccl";

  /** Checks the values. */
  public CollectiveSettings {
    if (!(timeoutSeconds > 0)) {
      throw new IllegalArgumentException(
          "collective timeout must be positive, got " + timeoutSeconds);
    }
    if (chunkBytes < Float.BYTES) {
      throw new IllegalArgumentException("chunk must hold a float, got " + chunkBytes + " bytes");
    }
    if (!java.util.List.of("auto", "ring", NCCL).contains(communicationHint)) {
      throw new IllegalArgumentException(
          "communication hint must be auto, ring or nccl, got '" + communicationHint + "'");
    }
  }

  /**
   * The settings for replicas that compute on {@code device}: NCCL on a GPU, 2 MiB chunks through
   * the ring otherwise.
   *
   * @param device the replicas' device, e.g. {@code /device:GPU:0}; empty or a CPU for the CPU
   * @param timeoutSeconds how long a collective waits for the others
   * @return the settings
   */
  public static CollectiveSettings forDevice(String device, float timeoutSeconds) {
    boolean gpu = device.toUpperCase(Locale.ROOT).contains("GPU");
    return new CollectiveSettings(timeoutSeconds, DEFAULT_CHUNK_BYTES, gpu ? NCCL : "auto");
  }

  /** Whether all-reduces go whole to NCCL rather than chunked through the ring. */
  public boolean nccl() {
    return communicationHint.equals(NCCL);
  }

  /** Floats per chunk. */
  long chunkFloats() {
    return chunkBytes / Float.BYTES;
  }
}
