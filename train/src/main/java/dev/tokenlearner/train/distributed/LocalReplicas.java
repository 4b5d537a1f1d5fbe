package dev.tokenlearner.train.distributed;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.Devices;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tensorflow.proto.ConfigProto;

/**
 * Data-parallel training over several CPU devices of one process: one in-process TensorFlow task
 * per device (each with one CPU device and its share of the cores), one training thread per task,
 * and the same collectives as a multi-machine run, over loopback.
 *
 * <p>A task per device, rather than one task with several devices, is what pins every op of a
 * replica, its gradient ops included, to its own device: TensorFlow's symbolic gradients ignore
 * device scopes, so in a shared session they would all land on the first device.
 */
public final class LocalReplicas {

  private LocalReplicas() {}

  /**
   * Trains with {@code replicas} in-process replicas.
   *
   * @param cfg the experiment ({@code batch_size} is the global batch)
   * @param workdir where the chief writes checkpoints, summaries and the model
   * @param resume continue from the newest checkpoint in {@code workdir}
   * @param dataOverride a data path replacing the config's dataset
   * @param options presentation and early stop (the progress bar is the chief's)
   * @param replicas number of replicas, at least 1
   * @param collectiveTimeoutSeconds how long a collective waits for the other replicas
   * @return the chief's summary
   * @throws IOException if data, checkpoints or summaries cannot be read or written
   */
  public static TrainSummary train(
      ExperimentConfig cfg,
      Path workdir,
      boolean resume,
      Optional<Path> dataOverride,
      TrainOptions options,
      int replicas,
      float collectiveTimeoutSeconds)
      throws IOException {
    if (replicas < 1) {
      throw new IllegalArgumentException("replicas must be at least 1, got " + replicas);
    }
    List<CollectiveReplication> members =
        start(
            replicas,
            sessionConfig(replicas, options.logDevicePlacement()),
            collectiveTimeoutSeconds);
    ExecutorService pool = Executors.newFixedThreadPool(replicas, daemonThreads());
    try {
      List<Future<TrainSummary>> runs = new ArrayList<>();
      for (CollectiveReplication member : members) {
        TrainOptions own = member.isChief() ? options : options.withProgressBar(false);
        runs.add(pool.submit(() -> Trainer.run(cfg, workdir, resume, dataOverride, own, member)));
      }
      return awaitAll(runs);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Starts {@code replicas} in-process servers on free loopback ports, each one task of job {@code
   * worker} with one CPU device.
   *
   * @param replicas number of tasks
   * @param sessionConfig the servers' default session config
   * @param collectiveTimeoutSeconds how long a collective waits for the others
   * @return the replicas in rank order
   */
  public static List<CollectiveReplication> start(
      int replicas, ConfigProto sessionConfig, float collectiveTimeoutSeconds) {
    return start(
        replicas, sessionConfig, CollectiveSettings.forDevice("CPU", collectiveTimeoutSeconds));
  }

  /**
   * As {@link #start(int, ConfigProto, float)} with the collectives' settings given.
   *
   * @param replicas number of tasks
   * @param sessionConfig the servers' default session config
   * @param collectives how the replicas build their collectives
   * @return the replicas in rank order
   */
  public static List<CollectiveReplication> start(
      int replicas, ConfigProto sessionConfig, CollectiveSettings collectives) {
    List<String> addresses = new ArrayList<>();
    // The host ring's own free ports: a server's port + 1000 may be taken.
    List<InetSocketAddress> ring = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      addresses.add("127.0.0.1:" + freePort());
      ring.add(InetSocketAddress.createUnresolved("127.0.0.1", freePort()));
    }
    List<CollectiveReplication> out = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      ClusterSpec spec =
          new ClusterSpec(java.util.Map.of(ClusterSpec.WORKER, addresses), ClusterSpec.WORKER, i);
      out.add(ClusterServer.startServer(spec, sessionConfig, collectives, ring));
    }
    return out;
  }

  /**
   * Session options of one in-process task: one CPU device, no GPU, and an equal share of the
   * machine's cores.
   */
  public static ConfigProto sessionConfig(int replicas, boolean logPlacement) {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / replicas);
    return Devices.sessionConfig(logPlacement).toBuilder()
        .putDeviceCount("CPU", 1)
        .putDeviceCount("GPU", 0)
        .setIntraOpParallelismThreads(threads)
        .setInterOpParallelismThreads(threads)
        .build();
  }

  /** The chief's result; the first failure if any replica failed (a root cause before timeouts). */
  private static TrainSummary awaitAll(List<Future<TrainSummary>> runs) throws IOException {
    TrainSummary chief = null;
    Throwable first = null;
    for (Future<TrainSummary> f : runs) {
      try {
        TrainSummary s = f.get();
        if (chief == null) {
          chief = s;
        }
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (first == null || first instanceof ReplicaFailedException) {
          first = c;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ReplicaFailedException("interrupted while training", e);
      }
    }
    if (first instanceof IOException io) {
      throw io;
    }
    if (first instanceof RuntimeException re) {
      throw re;
    }
    if (first instanceof Error err) {
      throw err;
    }
    if (first != null) {
      throw new UncheckedIOException(new IOException(first));
    }
    return chief;
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    int[] next = {0};
    return r -> {
      Thread t = new Thread(r, "replica-" + next[0]++);
      t.setDaemon(true);
      return t;
    };
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
