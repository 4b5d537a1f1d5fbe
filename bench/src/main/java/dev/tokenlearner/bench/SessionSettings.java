package dev.tokenlearner.bench;

import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;

/**
 * How a TF session runs a graph: thread pools and XLA auto-clustering.
 *
 * <p>{@link #defaults()} is the setting the {@code bench} sweep measured fastest on the reference
 * 2-core machine (see {@code bench/RESULTS.md}); other code opens sessions through {@link
 * #openSession(Graph)} so it gets the same setting.
 *
 * @param intraOpThreads threads one op may use; 0 lets TF choose (one per core)
 * @param interOpThreads ops run concurrently; 0 lets TF choose
 * @param jit XLA auto-clustering, the session config's {@code global_jit_level}
 */
public record SessionSettings(int intraOpThreads, int interOpThreads, Jit jit) {

  /** XLA auto-clustering levels, TF's {@code OptimizerOptions.GlobalJitLevel}. */
  public enum Jit {
    /** TF's default (off unless the process enables it). */
    DEFAULT(OptimizerOptions.GlobalJitLevel.DEFAULT),
    /** Off. */
    OFF(OptimizerOptions.GlobalJitLevel.OFF),
    /** Conservative auto-clustering. */
    ON_1(OptimizerOptions.GlobalJitLevel.ON_1),
    /** Aggressive auto-clustering. */
    ON_2(OptimizerOptions.GlobalJitLevel.ON_2);

    private final OptimizerOptions.GlobalJitLevel level;

    Jit(OptimizerOptions.GlobalJitLevel level) {
      this.level = level;
    }

    /**
     * Returns the proto enum value.
     *
     * @return the matching {@code GlobalJitLevel}
     */
    public OptimizerOptions.GlobalJitLevel level() {
      return level;
    }
  }

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if a thread count is negative or the jit level is null
   */
  public SessionSettings {
    if (intraOpThreads < 0 || interOpThreads < 0) {
      throw new IllegalArgumentException(
          "thread counts must be >= 0 (0 = TF chooses), got intra_op="
              + intraOpThreads
              + " inter_op="
              + interOpThreads);
    }
    if (jit == null) {
      throw new IllegalArgumentException("jit level must not be null");
    }
  }

  /**
   * The setting the benchmark's sweeps found best on the reference 2-core machine: TF's own
   * thread-pool sizes and no XLA auto-clustering. No explicit pool size and no {@code
   * global_jit_level} was faster by more than the run-to-run spread in any of four sweeps (Ti/16
   * and S/16, batch 8), and each of them lost clearly in at least one (see {@code
   * bench/RESULTS.md}).
   *
   * @return TF-chosen thread pools, jit level left at TF's default
   */
  public static SessionSettings defaults() {
    return new SessionSettings(0, 0, Jit.DEFAULT);
  }

  /**
   * Builds the session config.
   *
   * @return a {@code ConfigProto} with these thread counts and jit level
   */
  public ConfigProto toConfigProto() {
    return ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(intraOpThreads)
        .setInterOpParallelismThreads(interOpThreads)
        .setGraphOptions(
            GraphOptions.newBuilder()
                .setOptimizerOptions(OptimizerOptions.newBuilder().setGlobalJitLevel(jit.level())))
        .build();
  }

  /**
   * Opens a session on {@code graph} with these settings; the caller closes it.
   *
   * @param graph the graph to run
   * @return a new session
   */
  public Session openSession(Graph graph) {
    return new Session(graph, toConfigProto());
  }

  /**
   * A short label for tables, e.g. {@code intra=2 inter=1 jit=ON_1}.
   *
   * @return the label; 0 thread counts read {@code auto}
   */
  public String label() {
    return "intra=" + threads(intraOpThreads) + " inter=" + threads(interOpThreads) + " jit=" + jit;
  }

  private static String threads(int n) {
    return n == 0 ? "auto" : Integer.toString(n);
  }
}
