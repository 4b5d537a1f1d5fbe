package dev.tokenlearner.train;

import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * A test replication in one process: rank 0 of {@code replicas}, a local session, no broadcast;
 * subclasses say what the all-reduce does, to watch or fake it.
 */
abstract class LocalReplication implements Replication {
  private final int replicas;
  private final String name;

  LocalReplication(int replicas, String name) {
    this.replicas = replicas;
    this.name = name;
  }

  @Override
  public int rank() {
    return 0;
  }

  @Override
  public int replicas() {
    return replicas;
  }

  @Override
  public String describe() {
    return name;
  }

  @Override
  public Session openSession(Graph graph, ConfigProto config) {
    return new Session(graph, config);
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
