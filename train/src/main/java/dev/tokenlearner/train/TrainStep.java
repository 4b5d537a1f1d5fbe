package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.RuntimeConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.train.data.Batch;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

/**
 * The trainer's step as a library: the model in training mode, the loss, symbolic gradients,
 * global-norm clipping ({@code max_grad_norm}), the learning-rate schedule of the global step and
 * the optimizer update, in one graph with its session.
 *
 * <pre>{@code
 * try (TrainStep step = TrainStep.builder(config).build()) {
 *   step.initialize();
 *   StepResult r = step.run(batch);   // batch.step() must equal step.globalStep()
 * }
 * }</pre>
 *
 * <p>A step's randomness (dropout, stochastic depth, the {@code mixup} weight) depends only on the
 * config's {@code rng_seed} and the batch's step, so resuming from {@link #snapshot()} equals an
 * uninterrupted run.
 *
 * <p>Not thread-safe: run steps from one thread.
 */
public final class TrainStep implements AutoCloseable {

  private final ExperimentConfig config;
  private final TrainGraph graph;

  private TrainStep(ExperimentConfig config, TrainGraph graph) {
    this.config = config;
    this.graph = graph;
  }

  /**
   * A builder for the step of {@code config}.
   *
   * @param config the experiment; it needs {@code lr_configs}
   */
  public static Builder builder(ExperimentConfig config) {
    return new Builder(config);
  }

  /** Options of a {@link TrainStep}; each has a default. */
  public static final class Builder {
    private final ExperimentConfig config;
    private ConfigProto sessionConfig = Devices.sessionConfig(false);
    private Function<List<Operand<TFloat32>>, List<Operand<TFloat32>>> aggregator = g -> g;
    private Optional<DeviceSpec> device = Optional.empty();
    private boolean xla;
    private Replication replication = Replication.single();

    private Builder(ExperimentConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      this.xla = RuntimeConfig.of(config).jitOr(false);
    }

    /** Session options (threads, placement logging); default: {@link Devices#sessionConfig}. */
    public Builder sessionConfig(ConfigProto sessionConfig) {
      this.sessionConfig = Objects.requireNonNull(sessionConfig, "sessionConfig");
      return this;
    }

    /**
     * Combines the raw gradients before the global norm and clipping; default: identity. It gets
     * one gradient per parameter in {@link ParameterStore#parameters()} order and must return as
     * many; its ops go into the step's graph (name them through {@code PathScope.create((Graph)
     * gradients.get(0).env())}), e.g. an average over data-parallel towers.
     */
    public Builder gradientAggregator(
        Function<List<Operand<TFloat32>>, List<Operand<TFloat32>>> aggregator) {
      this.aggregator = Objects.requireNonNull(aggregator, "aggregator");
      return this;
    }

    /** The device of the model tower, its loss and gradients; default: TF's placement. */
    public Builder device(DeviceSpec device) {
      this.device = Optional.of(device);
      return this;
    }

    /**
     * Whether forward, backward and clipping run as one XLA computation; default: the config's
     * {@code jit} key (off when absent). The numbers equal the plain graph's within float32
     * rounding; the optimizer update stays outside XLA.
     */
    public Builder xla(boolean xla) {
      this.xla = xla;
      return this;
    }

    /**
     * Which data-parallel replica this step is and how it talks to the others; default: {@link
     * Replication#single()}. With several replicas the gradients (after {@link
     * #gradientAggregator}), loss and correct count are averaged over them before the global norm
     * and clipping; call {@link TrainStep#synchronize()} after initializing or restoring.
     */
    public Builder replication(Replication replication) {
      this.replication = Objects.requireNonNull(replication, "replication");
      return this;
    }

    /**
     * Builds the graph and opens its session. Variables are not initialised: call {@link
     * #initialize()} or {@link #restore}.
     *
     * @throws IllegalArgumentException if the config cannot be trained (no {@code lr_configs})
     * @throws dev.tokenlearner.core.InvalidInputException if XLA is asked for with several replicas
     */
    public TrainStep build() {
      CustomGradients.register();
      return new TrainStep(
          config, new TrainGraph(config, sessionConfig, aggregator, device, xla, replication));
    }
  }

  /**
   * Fresh weights: Flax's initialisers seeded with the config's {@code rng_seed}, {@code
   * init_head_bias} on the head's bias, zero optimizer state and global step 0.
   */
  public void initialize() {
    graph.initialize(config.train().rngSeed(), config.train().initHeadBias());
  }

  /**
   * Copies the chief's weights and optimizer state to every replica and checks that all replicas
   * start at the same global step; call it on every replica after {@link #initialize()} or {@link
   * #restore}. Does nothing with one replica.
   *
   * @throws dev.tokenlearner.core.InvalidInputException if the replicas start at different steps
   */
  public void synchronize() {
    graph.synchronize();
  }

  /** Which replica this step is. */
  public Replication replication() {
    return graph.replication();
  }

  /**
   * Trains on one batch: float32 model inputs, or uint8 pixels that the graph normalises with the
   * config's {@code preprocessing.normalization} (the graph takes either).
   *
   * @param batch the batch (this replica's slice of the global batch); its step must equal {@link
   *     #globalStep()}
   * @return loss and metrics of the (global) batch, computed before the update
   */
  public StepResult run(Batch batch) {
    return graph.run(batch, config.train().rngSeed());
  }

  /**
   * Trains on a batch already in tensors (no host copy; what the benchmark times).
   *
   * @param images {@code [b, H, W, C]} (or {@code [b, T, H, W, C]} for video)
   * @param labels class indices {@code [b]}
   * @param step the batch's step, which seeds its dropout; normally {@link #globalStep()}
   * @return loss and metrics of the batch, computed before the update
   */
  public StepResult run(TFloat32 images, TInt32 labels, long step) {
    return graph.run(images, labels, step, config.train().rngSeed());
  }

  /**
   * Trains on uint8 pixels already in a tensor; the graph normalises them.
   *
   * @param pixels {@code [b, H, W, C]} (or {@code [b, T, H, W, C]}) values {@code 0..255}
   * @param labels class indices {@code [b]}
   * @param step the batch's step, which seeds its dropout and mixup; normally {@link #globalStep()}
   * @return loss and metrics of the batch, computed before the update
   */
  public StepResult run(TUint8 pixels, TInt32 labels, long step) {
    return graph.run(pixels, labels, step, config.train().rngSeed());
  }

  /** The global step held by the graph: the number of updates applied. */
  public long globalStep() {
    return graph.step();
  }

  /** The model parameters by Flax path, copied to the host. */
  public Map<String, HostArray> params() {
    return graph.params();
  }

  /** The model's parameter declarations (paths, shapes, variables). */
  public ParameterStore parameters() {
    return graph.store();
  }

  /** The whole train state (params, optimizer state, step, rng) as Scenic checkpoints hold it. */
  public FlaxTrainState snapshot() {
    return graph.snapshot(config.train().rngSeed());
  }

  /**
   * Loads a train state written by {@link #snapshot()} (or by Scenic with the same optimizer).
   *
   * @throws IllegalArgumentException listing every parameter or slot that does not match
   */
  public void restore(FlaxTrainState state) {
    graph.restore(state);
  }

  /** The graph (for inspection: op count, devices). */
  public Graph graph() {
    return graph.graph();
  }

  /** The session the step runs in. */
  public Session session() {
    return graph.session();
  }

  /** Package access to the graph for evaluation. */
  TrainGraph trainGraph() {
    return graph;
  }

  @Override
  public void close() {
    graph.close();
  }
}
