package dev.tokenlearner.train.distributed;

import dev.tokenlearner.train.Replication;
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
    if (replicas < 1 || rank < 0 || rank >= replicas) {
      throw new IllegalArgumentException("replica " + rank + " of " + replicas + " does not exist");
    }
    this.rank = rank;
    this.replicas = replicas;
    this.taskName = taskName;
    this.target = target;
    this.settings = settings;
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

  @Override
  public Optional<Op> broadcastFromChief(Ops tf, List<Variable<TFloat32>> variables) {
    return Optional.of(
        Collectives.broadcastFromChief(tf, variables, rank, replicas, settings.timeoutSeconds()));
  }

  @Override
  public RuntimeException failed(RuntimeException e) {
    failed = true;
    return new ReplicaFailedException(
        describe()
            + ": a collective or RPC failed ("
            + firstLine(e.getMessage())
            + "). TensorFlow cannot recover from this in-process; restart every task with"
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
