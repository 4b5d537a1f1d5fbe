package dev.tokenlearner.train;

import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * How one copy of the training step takes part in data-parallel training: which replica it is,
 * where its session runs, how gradients are averaged over the replicas and how the chief's initial
 * weights reach the others. {@link #single()} is plain one-process training.
 *
 * <p>Every replica builds the same graph and runs the same steps on its own slice of each global
 * batch; averaging the gradients (before clipping) makes every replica apply the update a single
 * process would apply on the whole global batch.
 */
public interface Replication {

  /** This replica's index; 0 is the chief, which alone writes checkpoints and summaries. */
  int rank();

  /** Number of replicas taking part in every step. */
  int replicas();

  /** Whether this replica writes checkpoints, summaries and the SavedModel. */
  default boolean isChief() {
    return rank() == 0;
  }

  /**
   * A one-line description for logs, e.g. {@code replica 1 of 2 (/job:worker/replica:0/task:0)}.
   */
  String describe();

  /**
   * Opens the session the training step runs in.
   *
   * @param graph the training graph
   * @param config the session options a single process would use
   * @return the session; released with {@link #closeSession}
   */
  Session openSession(Graph graph, ConfigProto config);

  /**
   * Averages float tensors over the replicas. All replicas must call this with tensors of the same
   * shapes, in the same order.
   *
   * @param tf where to build the ops
   * @param values per-replica values
   * @return their means over the replicas, same shapes and order
   */
  List<Operand<TFloat32>> allReduceMean(Ops tf, List<Operand<TFloat32>> values);

  /**
   * As {@link #allReduceMean}, sending bfloat16 (half the bytes) and summing in float32 ({@code
   * allreduce_dtype: bfloat16}); the values must have static shapes. By default the float32
   * all-reduce.
   *
   * @param tf where to build the ops
   * @param values per-replica values
   * @return their means over the replicas, from bfloat16-rounded values
   */
  default List<Operand<TFloat32>> allReduceMeanBfloat16(Ops tf, List<Operand<TFloat32>> values) {
    return allReduceMean(tf, values);
  }

  /**
   * Connects this replica to the others' host-side ring all-reduce ({@code allreduce_impl: ring});
   * every replica calls it once, when its step is built, and the call waits for its neighbours.
   *
   * @return the connected ring, closed with the step
   * @throws UnsupportedOperationException if this replication has no ring (one process)
   * @throws RuntimeException what {@link #failed} makes of a neighbour that did not connect
   */
  default HostRing connectRing() {
    throw new UnsupportedOperationException(describe() + " has no host ring all-reduce");
  }

  /** A connected ring all-reduce of float32 vectors in host memory. */
  interface HostRing extends AutoCloseable {

    /**
     * Replaces {@code floats} (little-endian float32 from index 0 to the limit) by its mean over
     * the replicas. Every replica passes a vector of the same length and wire dtype, in the same
     * order.
     *
     * @param floats the vector
     * @param bfloat16 send bfloat16 and sum in float32
     * @throws RuntimeException what {@link Replication#failed} makes of a failed peer, naming it
     */
    void allReduceMean(java.nio.ByteBuffer floats, boolean bfloat16);

    @Override
    void close();
  }

  /**
   * An op that overwrites every replica's variables with the chief's values.
   *
   * @param tf where to build the ops
   * @param variables the variables, in the same order on every replica
   * @return the op to run once after initializing or restoring, or empty when there is one replica
   */
  Optional<Op> broadcastFromChief(Ops tf, List<Variable<TFloat32>> variables);

  /**
   * The seed of this replica's dropout keys: replicas must not draw the same masks for different
   * examples.
   *
   * @param seed the run's seed
   * @return the seed for this replica's dropout key {@code [seed', step]}
   */
  default long dropoutSeed(long seed) {
    return rank() == 0 ? seed : seed + rank() * 0x9E3779B97F4A7C15L;
  }

  /**
   * Turns a failure of a step into what the trainer throws. A failed collective or RPC cannot be
   * recovered in-process, so distributed replications remember it and stop {@link #closeSession}
   * from blocking on the dead peer.
   *
   * @param e what TensorFlow threw
   * @return the exception to throw
   */
  RuntimeException failed(RuntimeException e);

  /**
   * Releases the session opened by {@link #openSession}.
   *
   * @param session the session
   * @return whether it was closed; if not (after a failure), its graph must not be closed either,
   *     as {@code Graph.close()} waits for its sessions
   */
  boolean closeSession(Session session);

  /**
   * Plain training in this process: one replica, an in-process session, no collectives.
   *
   * @return the single-process replication
   */
  static Replication single() {
    return SingleProcess.INSTANCE;
  }

  /** {@link Replication#single()}. */
  enum SingleProcess implements Replication {
    INSTANCE;

    @Override
    public int rank() {
      return 0;
    }

    @Override
    public int replicas() {
      return 1;
    }

    @Override
    public String describe() {
      return "single process";
    }

    @Override
    public Session openSession(Graph graph, ConfigProto config) {
      return new Session(graph, config);
    }

    @Override
    public List<Operand<TFloat32>> allReduceMean(Ops tf, List<Operand<TFloat32>> values) {
      return values;
    }

    @Override
    public Optional<Op> broadcastFromChief(Ops tf, List<Variable<TFloat32>> variables) {
      return Optional.empty();
    }

    @Override
    public RuntimeException failed(RuntimeException e) {
      return e;
    }

    @Override
    public boolean closeSession(Session session) {
      session.close();
      return true;
    }
  }
}
