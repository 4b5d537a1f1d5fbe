package dev.tokenlearner.bench;

import dev.tokenlearner.train.distributed.CollectiveReplication;
import dev.tokenlearner.train.distributed.LocalReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * The communication cost of one data-parallel step: the packed all-reduce of a model's worth of
 * gradients (one float vector of the parameter count, plus loss and accuracy) between in-process
 * TensorFlow tasks over loopback gRPC, alone, without the model's compute.
 *
 * <p>Usage: {@code CollectiveCost PARAMETERS REPLICAS STEPS}. Prints the median milliseconds per
 * all-reduce. The servers listen on all interfaces: run it in a private network namespace ({@code
 * unshare -n}, with {@code ip link set lo up}).
 */
public final class CollectiveCost {

  private CollectiveCost() {}

  /**
   * Runs the measurement.
   *
   * @param args parameter count, replicas, steps
   * @throws Exception if a replica fails
   */
  public static void main(String[] args) throws Exception {
    int params = Integer.parseInt(args[0]);
    int replicas = Integer.parseInt(args[1]);
    int steps = Integer.parseInt(args[2]);
    List<CollectiveReplication> members =
        LocalReplicas.start(replicas, LocalReplicas.sessionConfig(replicas, false), 60f);
    ExecutorService pool = Executors.newFixedThreadPool(replicas);
    List<Future<double[]>> runs = new ArrayList<>();
    for (CollectiveReplication m : members) {
      runs.add(pool.submit(() -> measure(m, params, replicas, steps)));
    }
    double[] chief = runs.get(0).get(10, TimeUnit.MINUTES);
    for (Future<double[]> f : runs) {
      f.get(10, TimeUnit.MINUTES);
    }
    pool.shutdown();
    double[] sorted = chief.clone();
    java.util.Arrays.sort(sorted);
    System.out.printf(
        Locale.ROOT,
        "all-reduce of %d floats over %d replicas: median %.2f ms, p90 %.2f ms (%d steps)%n",
        params,
        replicas,
        sorted[sorted.length / 2],
        sorted[(int) (sorted.length * 0.9)],
        steps);
    System.exit(0);
  }

  private static double[] measure(CollectiveReplication m, int params, int replicas, int steps) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> grads =
          tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(params)));
      List<Operand<TFloat32>> reduced =
          m.allReduceMean(tf, List.of(grads, tf.constant(1f), tf.constant(2f)));
      Session s = m.openSession(g, LocalReplicas.sessionConfig(replicas, false));
      double[] ms = new double[steps];
      try (TFloat32 x = TFloat32.tensorOf(Shape.of(params))) {
        for (int i = -5; i < steps; i++) {
          long t0 = System.nanoTime();
          try (Result r = s.runner().feed(grads, x).fetch(reduced.get(0)).run()) {
            if (i >= 0) {
              ms[i] = (System.nanoTime() - t0) / 1e6;
            }
          }
        }
      }
      m.closeSession(s);
      return ms;
    }
  }
}
