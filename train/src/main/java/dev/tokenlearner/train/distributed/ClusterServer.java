package dev.tokenlearner.train.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Server;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.ServerDef;

/**
 * Starts this process's TensorFlow server for its task of a {@link ClusterSpec} and waits until the
 * other replicas' servers answer.
 *
 * <p>The collective group leader (rank 0) goes into the server's default session config: without it
 * there, collectives time out waiting for each other. TensorFlow cannot stop a server once started,
 * so it lives until the process exits; it listens on all interfaces, without authentication (see
 * the package docs).
 */
public final class ClusterServer {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterServer.class);

  /** How often a waiting task says which peers it still waits for. */
  private static final Duration LOG_EVERY = Duration.ofSeconds(5);

  // Servers cannot be stopped; keep them reachable so nothing finalizes them while training.
  private static final List<Server> RUNNING = new CopyOnWriteArrayList<>();

  private ClusterServer() {}

  /**
   * Starts the server of this task, waits for the other replicas' servers and returns the replica
   * to train with.
   *
   * @param spec the cluster and this task
   * @param sessionConfig the session options a single process would use
   * @param startupTimeout how long to wait for the other replicas' servers
   * @param collectives how the replica builds its collectives (timeout, chunks, NCCL on GPUs)
   * @return this task's replica
   * @throws ReplicaFailedException naming the tasks that did not start within {@code
   *     startupTimeout}
   */
  public static CollectiveReplication start(
      ClusterSpec spec,
      ConfigProto sessionConfig,
      Duration startupTimeout,
      CollectiveSettings collectives) {
    CollectiveReplication replica =
        startServer(spec, sessionConfig, collectives, ringAddressesIfValid(spec));
    awaitPeers(spec, startupTimeout);
    return replica;
  }

  /**
   * Starts the server of this task without waiting for the others.
   *
   * @param spec the cluster and this task
   * @param sessionConfig the session options a single process would use
   * @param collectives how the replica builds its collectives
   * @param ringAddresses the replicas' host ring addresses ({@code allreduce_impl: ring})
   * @return this task's replica
   */
  static CollectiveReplication startServer(
      ClusterSpec spec,
      ConfigProto sessionConfig,
      CollectiveSettings collectives,
      List<InetSocketAddress> ringAddresses) {
    ServerDef def =
        ServerDef.newBuilder()
            .setCluster(spec.clusterDef())
            .setJobName(spec.taskType())
            .setTaskIndex(spec.taskIndex())
            .setProtocol("grpc")
            .setDefaultSessionConfig(serverConfig(spec, sessionConfig))
            .build();
    Server server = new Server(def);
    server.start();
    RUNNING.add(server);
    LOG.info(
        "started TensorFlow server for {} on port {} (rank {} of {}, group leader {})",
        spec.taskName(),
        port(spec.address()),
        spec.rank(),
        spec.replicas(),
        spec.leader());
    return new CollectiveReplication(
        spec.rank(),
        spec.replicas(),
        spec.taskName(),
        "grpc://" + localTarget(spec.address()),
        collectives,
        ringAddresses);
  }

  /**
   * The tasks' ports plus {@link RingAllReduce#PORT_OFFSET}; none when one exceeds 65535 (only
   * {@code allreduce_impl: ring} needs them, and then fails naming the missing addresses).
   */
  private static List<InetSocketAddress> ringAddressesIfValid(ClusterSpec spec) {
    try {
      return RingAllReduce.ringAddresses(spec);
    } catch (IllegalArgumentException e) {
      LOG.debug("no host ring addresses: {}", e.getMessage());
      return List.of();
    }
  }

  /** The servers' default session config: the caller's, plus the collective group leader. */
  static ConfigProto serverConfig(ClusterSpec spec, ConfigProto sessionConfig) {
    return sessionConfig.toBuilder()
        .setExperimental(
            sessionConfig.getExperimental().toBuilder().setCollectiveGroupLeader(spec.leader()))
        .build();
  }

  /**
   * Waits until a TCP connection to every other replica's server succeeds, logging the missing ones
   * every few seconds.
   *
   * @throws ReplicaFailedException if some did not start within {@code timeout}
   */
  static void awaitPeers(ClusterSpec spec, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long nextLog = System.nanoTime();
    List<String> tasks = spec.replicaTasks();
    List<String> addresses = spec.replicaAddresses();
    while (true) {
      List<String> missing = new ArrayList<>();
      for (int i = 0; i < tasks.size(); i++) {
        if (i != spec.rank() && !reachable(addresses.get(i))) {
          missing.add(tasks.get(i) + " at " + addresses.get(i));
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      long now = System.nanoTime();
      if (now - deadline >= 0) {
        throw new ReplicaFailedException(
            spec.taskName()
                + ": "
                + String.join(", ", missing)
                + " did not start within "
                + timeout.toSeconds()
                + " s",
            null);
      }
      if (now - nextLog >= 0) {
        LOG.info(
            "{} waits for {} to start (gives up in {} s)",
            spec.taskName(),
            String.join(", ", missing),
            Math.max(0, (deadline - now) / 1_000_000_000L));
        nextLog = now + LOG_EVERY.toNanos();
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ReplicaFailedException(spec.taskName() + ": interrupted while waiting", e);
      }
    }
  }

  private static boolean reachable(String address) {
    int colon = address.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address.substring(0, colon), port(address)), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The own server as seen from this process: always through loopback. */
  private static String localTarget(String address) {
    return "localhost:" + port(address);
  }

  private static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }
}
