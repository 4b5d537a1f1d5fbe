package dev.tokenlearner.train.distributed;

import dev.tokenlearner.train.Replication;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.RemoteSessions;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * One replica of a collective data-parallel run: its session runs on its own task's server (a
 * {@link ClusterServer}), gradients are averaged by packed {@code CollectiveReduce}s ({@link
 * Collectives#allReduceMean}) and the chief's initial weights are broadcast to all.
 *
 * <p>A failed step (a peer died, a collective timed out) turns into a {@link
 * ReplicaFailedException}, after which the session is deliberately left open: closing it would wait
 * until the dead peer comes back.
 */
public final class CollectiveReplication implements Replication {

  private static final Logger LOG = LoggerFactory.getLogger(CollectiveReplication.class);

  private final int rank;
  private final int replicas;
  private final String taskName;
  private final String target;
  private final CollectiveSettings settings;
  private final List<InetSocketAddress> ringAddresses;
  private volatile boolean failed;
  private long nextInstance = Collectives.REDUCE_INSTANCE;

  /**
   * @param rank this replica, 0 is the chief
   * @param replicas number of replicas
   * @param taskName this replica's task, e.g. {@code /job:worker/replica:0/task:0}
   * @param target its server, e.g. {@code grpc://127.0.0.1:2222}
   * @param settings how its collectives are built (timeout, chunks, communication hint)
   */
  public CollectiveReplication(
      int rank, int replicas, String taskName, String target, CollectiveSettings settings) {
    this(rank, replicas, taskName, target, settings, List.of());
  }

  /**
   * As the other constructor, with the replicas' host ring addresses ({@code allreduce_impl:
   * ring}).
   *
   * @param rank this replica, 0 is the chief
   * @param replicas number of replicas
   * @param taskName this replica's task
   * @param target its server
   * @param settings how its collectives are built; the ring's timeouts are the collectives'
   * @param ringAddresses every replica's ring address in rank order ({@link
   *     RingAllReduce#ringAddresses}), empty for none
   */
  public CollectiveReplication(
      int rank,
      int replicas,
      String taskName,
      String target,
      CollectiveSettings settings,
      List<InetSocketAddress> ringAddresses) {
    if (replicas < 1 || rank < 0 || rank >= replicas) {
      throw new IllegalArgumentException("replica " + rank + " of " + replicas + " does not exist");
    }
    this.rank = rank;
    this.replicas = replicas;
    this.taskName = taskName;
    this.target = target;
    this.settings = settings;
    if (!ringAddresses.isEmpty() && ringAddresses.size() != replicas) {
      throw new IllegalArgumentException(
          ringAddresses.size() + " ring addresses for " + replicas + " replicas");
    }
    this.ringAddresses = List.copyOf(ringAddresses);
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int replicas() {
    return replicas;
  }

  @Override
  public String describe() {
    return "replica " + rank + " of " + replicas + " (" + taskName + ")";
  }

  /** Whether a step of this replica failed. */
  public boolean hasFailed() {
    return failed;
  }

  /**
   * A session on this task's server that sees only this task's devices, so a declared task that is
   * down never blocks it and every op of this replica (gradients included) runs on this task.
   */
  @Override
  public Session openSession(Graph graph, ConfigProto config) {
    ConfigProto own = config.toBuilder().clearDeviceFilters().addDeviceFilters(taskName).build();
    return RemoteSessions.open(graph, target, own);
  }

  @Override
  public synchronized List<Operand<TFloat32>> allReduceMean(
      Ops tf, List<Operand<TFloat32>> values) {
    // Every replica builds the same graph in the same order, so the keys agree.
    return Collectives.allReduceMean(tf, values, replicas, () -> nextInstance++, settings);
  }

  @Override
  public synchronized List<Operand<TFloat32>> allReduceMeanBfloat16(
      Ops tf, List<Operand<TFloat32>> values) {
    return Collectives.allReduceMeanBfloat16(tf, values, replicas, () -> nextInstance++, settings);
  }

  /**
   * Connects the host ring on this replica's ring address, within the collective timeout; a failed
   * connect or all-reduce fails the replica as a failed collective does, naming the peer.
   */
  @Override
  public HostRing connectRing() {
    if (ringAddresses.isEmpty()) {
      throw new IllegalStateException(
          describe()
              + " has no ring addresses: every task's port + "
              + RingAllReduce.PORT_OFFSET
              + " must be at most 65535");
    }
    Duration timeout = Duration.ofMillis((long) (settings.timeoutSeconds() * 1000.0));
    RingAllReduce.Settings ringSettings =
        new RingAllReduce.Settings(timeout, timeout, RingAllReduce.DEFAULT_CHUNK_BYTES, false);
    RingAllReduce ring;
    try {
      ring = RingAllReduce.connect(ringAddresses, rank, ringSettings);
    } catch (RingAllReduceException e) {
      throw failed(e);
    }
    return new HostRing() {
      @Override
      public void allReduceMean(ByteBuffer floats, boolean bfloat16) {
        try {
          ring.allReduceMean(floats, bfloat16);
        } catch (RingAllReduceException e) {
          throw failed(e);
        }
      }

      @Override
      public void close() {
        ring.close();
      }
    };
  }

  @Override
  public Optional<Op> broadcastFromChief(Ops tf, List<Variable<TFloat32>> variables) {
    return Optional.of(
        Collectives.broadcastFromChief(tf, variables, rank, replicas, settings.timeoutSeconds()));
  }

  @Override
  public RuntimeException failed(RuntimeException e) {
    failed = true;
    String what =
        e instanceof RingAllReduceException
            ? "the host ring all-reduce failed"
            : "a collective or RPC failed";
    return new ReplicaFailedException(
        describe()
            + ": "
            + what
            + " ("
            + firstLine(e.getMessage())
            + "). This cannot be recovered in-process; restart every task with"
            + " --resume to continue from the chief's last checkpoint",
        e);
  }

  @Override
  public boolean closeSession(Session session) {
    if (failed) {
      // Session.close() blocks until every peer answers again; the process is about to exit.
      LOG.warn("{}: leaving the failed session and its graph open", describe());
      return false;
    }
    session.close();
    return true;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no message";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
