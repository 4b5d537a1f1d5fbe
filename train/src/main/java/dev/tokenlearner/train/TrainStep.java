package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.LrConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.XlaFunction;
import dev.tokenlearner.ops.ComputeDtype;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.train.data.Batch;
import dev.tokenlearner.train.profile.RunTrace;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import java.util.function.Function;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * The trainer's step as a library, one graph with its session, built in the order of Scenic's
 * {@code train_step}: the model in training mode, the {@code Objective} (loss with label smoothing,
 * mixup and L2; correct count), the learning-rate schedule of the global step, the {@code
 * GradientPipeline} (loss scale, gradients, aggregation, all-reduce over replicas, global-norm
 * clipping with {@code max_grad_norm}, optional XLA) and the optimizer's update ({@code
 * OptimizerGraph} with the optimizer's {@code UpdateRule}). Held-out evaluation runs on the same
 * variables ({@code EvalTower}); {@code TrainStateIo} moves the state to and from checkpoints.
 *
 * <pre>{@code
 * try (TrainStep step = TrainStep.builder(config).build()) {
 *   step.initialize();
 *   StepResult r = step.run(batch);   // batch.step() must equal step.globalStep()
 * }
 * }</pre>
 *
 * <p>Feeds per step: {@code images [b, H, W, C]} float32, or {@code pixels} of the same shape as
 * uint8 {@code 0..255}, normalised in the graph with the experiment's normalisation; {@code labels
 * [b]}; the dropout key {@code [seed, step]}; with {@code mixup} the step's mixing weight, drawn
 * from (seed, step). So a step's randomness depends only on the config's {@code rng_seed} and the
 * batch's step, and resuming from {@link #snapshot()} equals an uninterrupted run. Fetches: loss,
 * correct top-1 count, learning rate and the gradients' global norm before clipping. With several
 * replicas and {@code allreduce_impl: ring} a step is two session runs with the host ring between
 * them ({@code HostAllReduce}).
 *
 * <p>Not thread-safe: run steps from one thread.
 */
public final class TrainStep implements AutoCloseable {

  /** How much of the step is one XLA computation ({@link XlaFunction}). */
  public enum XlaScope {
    /** None: the plain graph. */
    OFF,
    /** Forward, loss, backward and clipping; the optimizer's update runs in the plain graph. */
    GRADIENTS,
    /** All of the step but the variables' reads and assigns, the optimizer's math included. */
    STEP
  }

  private final ExperimentConfig config;
  private final Replication replication;
  private final XlaScope xla;
  private final ModelGraph model;
  private final Graph graph;
  private final Optional<Mixup> mixup;
  private final Placeholder<TInt32> labels;
  private final List<Output<TFloat32>> gradients;
  private final Operand<TFloat32> loss;
  private final Operand<TFloat32> correct;
  private final Operand<TFloat32> learningRate;
  private final Operand<TFloat32> gradNorm;
  private final Op trainOp;
  private final TrainStateIo state;
  private final Session session;
  private final Optional<HostAllReduce> hostAllReduce;
  private EvalTower evalTower;
  private Optional<Consumer<RunTrace>> tracer = Optional.empty();
  private long sessionNanos;

  private TrainStep(Builder b) {
    config = b.config;
    replication = b.replication;
    xla = b.xla;
    LrConfig lr =
        config
            .train()
            .lrConfigs()
            .orElseThrow(
                () -> new InvalidInputException("training needs lr_configs in " + config.source()));
    if (xla != XlaScope.OFF) {
      GradientPipeline.checkXla(config.source(), replication);
    }
    hostAllReduce =
        config.allReduce().ring() && replication.replicas() > 1
            ? Optional.of(new HostAllReduce(replication, config.allReduce().bfloat16()))
            : Optional.empty();
    GradientPipeline pipeline =
        new GradientPipeline(
            config.source(),
            b.aggregator,
            replication,
            config.train().maxGradNorm(),
            xla == XlaScope.GRADIENTS,
            config.allReduce(),
            hostAllReduce);
    CustomGradients.register();
    mixup = config.mixup().map(Mixup::new);
    model =
        ModelGraph.build(
            config.model(),
            config.input(),
            Mode.TRAINING,
            -1,
            b.device,
            Optional.of(config.normalization()),
            mixup.isPresent() ? mixup.get()::mixImages : ModelGraph.InputTransform.NONE,
            ComputeDtype.of(config.modelDtypeStr()));
    graph = model.graph();
    try {
      Ops tf = model.tf();
      List<Parameter> params = model.store().parameters();
      labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      Ops t = tf.withSubScope("train");
      Objective objective = Objective.build(t, config, model.outputs(), labels, mixup, params);
      TrainStateIo.GlobalStep step = TrainStateIo.GlobalStep.create(tf);
      Operand<TFloat32> lrValue =
          t.withName("learning_rate").identity(LearningRateSchedule.build(t, lr, step.value()));
      // float16 only: bfloat16 has float32's exponent range, so its gradients do not underflow.
      Optional<LossScale> lossScale =
          model.dtype() == ComputeDtype.FLOAT16
              ? Optional.of(new LossScale(tf, config.lossScale()))
              : Optional.empty();
      GradientPipeline.Result g = pipeline.build(tf, t, objective, params, feeds(), lossScale);
      gradients = g.raw();
      OptimizerGraph optimizer =
          new OptimizerGraph(
              tf, config.train().optimizer(), config.train().explicitWeightDecay(), params);
      if (xla == XlaScope.STEP) {
        Compiled c = compiledStep(tf, t, optimizer, g, lrValue, step, lossScale, params);
        loss = c.loss();
        correct = c.correct();
        gradNorm = c.gradNorm();
        learningRate = c.learningRate();
        trainOp = applied(tf, t, optimizer, c.next(), step, lossScale);
      } else {
        loss = g.values().loss();
        correct = g.values().correct();
        gradNorm = g.globalNorm();
        learningRate = lrValue;
        Optional<Operand<TBool>> finite =
            lossScale.map(ls -> LossScale.allFinite(t.withSubScope("loss_scale"), gradNorm));
        OptimizerGraph.Next next =
            optimizer.next(tf, g.values().gradients(), learningRate, step.value(), finite);
        trainOp = applied(tf, t, optimizer, next, step, lossScale);
      }
      state =
          new TrainStateIo(
              tf,
              model.store(),
              config.train().optimizer(),
              step,
              optimizer,
              lossScale,
              replication);
      // Connecting waits for the neighbours, which build the same graph meanwhile.
      hostAllReduce.ifPresent(HostAllReduce::connect);
      session = replication.openSession(graph, b.sessionConfig);
    } catch (RuntimeException e) {
      try {
        hostAllReduce.ifPresent(HostAllReduce::close);
      } finally {
        graph.close();
      }
      throw e;
    }
  }

  /** What the XLA computation takes besides parameters and loss scale: the step's feeds. */
  private List<Operand<?>> feeds() {
    List<Operand<?>> feeds = new ArrayList<>(List.of(model.images(), labels, model.rngKey()));
    mixup.ifPresent(m -> feeds.add(m.lambda()));
    return feeds;
  }

  /** The compiled step's results: what the step reports and the new parameters and slots. */
  private record Compiled(
      Operand<TFloat32> loss,
      Operand<TFloat32> correct,
      Operand<TFloat32> gradNorm,
      Operand<TFloat32> learningRate,
      OptimizerGraph.Next next) {}

  /**
   * The whole step but the assigns as one XLA computation, as {@code jit_compile} compiles a Python
   * step: forward, loss, backward, clipping, the schedule and the optimizer's math of every
   * parameter (thousands of small element-wise kernels in graph mode, fused by XLA). VariableV2
   * cannot be inside it, so the reads of parameters, slots, global step and loss scale are its
   * inputs and the assigns apply its outputs.
   */
  private Compiled compiledStep(
      Ops tf,
      Ops t,
      OptimizerGraph optimizer,
      GradientPipeline.Result g,
      Operand<TFloat32> lr,
      TrainStateIo.GlobalStep step,
      Optional<LossScale> lossScale,
      List<Parameter> params) {
    Optional<Operand<TBool>> finite =
        lossScale.map(ls -> LossScale.allFinite(t.withSubScope("loss_scale"), g.globalNorm()));
    OptimizerGraph.Next next = optimizer.next(tf, g.values().gradients(), lr, step.value(), finite);
    List<Operand<?>> inputs = new ArrayList<>(feeds());
    params.forEach(p -> inputs.add(p.value()));
    inputs.addAll(optimizer.slotReads());
    inputs.add(step.value());
    lossScale.ifPresent(ls -> inputs.add(ls.scale()));
    List<Operand<?>> outputs =
        new ArrayList<>(List.of(g.values().loss(), g.values().correct(), g.globalNorm(), lr));
    outputs.addAll(next.params());
    outputs.addAll(next.slots());
    List<Output<?>> called = XlaFunction.call(t.scope(), "xla_train_step", inputs, outputs);
    int n = next.params().size();
    List<Operand<TFloat32>> newParams = new ArrayList<>();
    List<Operand<TFloat32>> newSlots = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      newParams.add(floats(called.get(4 + i)));
    }
    for (int i = 4 + n; i < called.size(); i++) {
      newSlots.add(floats(called.get(i)));
    }
    return new Compiled(
        t.withName("xla_loss").identity(floats(called.get(0))),
        t.withName("xla_correct").identity(floats(called.get(1))),
        t.withName("xla_grad_norm").identity(floats(called.get(2))),
        t.withName("xla_learning_rate").identity(floats(called.get(3))),
        new OptimizerGraph.Next(newParams, newSlots));
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> floats(Output<?> out) {
    return (Output<TFloat32>) out;
  }

  /**
   * The assigns of the optimizer's update ({@code tx.update} and {@code apply_updates}) after this
   * step's loss and metrics are read; under float16 also the loss scale's (a step with non-finite
   * gradients changes no parameter or slot: {@code next} already kept the old values).
   */
  private Op applied(
      Ops tf,
      Ops t,
      OptimizerGraph optimizer,
      OptimizerGraph.Next next,
      TrainStateIo.GlobalStep step,
      Optional<LossScale> lossScale) {
    Op update =
        optimizer.assign(tf, next, step.variable(), List.of(loss, correct, gradNorm, learningRate));
    if (lossScale.isEmpty()) {
      return update;
    }
    Operand<TBool> finite = LossScale.allFinite(t.withSubScope("loss_scale"), gradNorm);
    Ops after = tf.withSubScope("loss_scale").withControlDependencies(List.of(update));
    List<Op> all = new ArrayList<>(lossScale.get().update(after, finite));
    all.add(update);
    return tf.withControlDependencies(all).withName("train_step").noOp();
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
    private XlaScope xla;
    private Replication replication = Replication.single();

    private Builder(ExperimentConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      this.xla = config.runtime().jitOr(false) ? XlaScope.STEP : XlaScope.OFF;
    }

    /** Session options (threads, placement logging); default: {@link Devices#sessionConfig}. */
    public Builder sessionConfig(ConfigProto sessionConfig) {
      this.sessionConfig = Objects.requireNonNull(sessionConfig, "sessionConfig");
      return this;
    }

    /**
     * Combines the raw gradients before the all-reduce, the global norm and clipping; default:
     * identity. It gets one gradient per parameter in {@link ParameterStore#parameters()} order and
     * must return as many; its ops go into the step's graph (name them through {@code
     * PathScope.create((Graph) gradients.get(0).env())}), e.g. an average over data-parallel
     * towers.
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
     * Whether the step (forward, backward, clipping, schedule and optimizer math) runs as one XLA
     * computation ({@link XlaScope#STEP}) or as the plain graph; default: the config's {@code jit}
     * key (off when absent). The numbers equal the plain graph's within float32 rounding.
     */
    public Builder xla(boolean xla) {
      return xla(xla ? XlaScope.STEP : XlaScope.OFF);
    }

    /** How much of the step XLA compiles; default as {@link #xla(boolean)}. */
    public Builder xla(XlaScope scope) {
      this.xla = Objects.requireNonNull(scope, "scope");
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
     * @throws IllegalStateException if a parameter gets no gradient or the aggregator returns
     *     another number of gradients
     * @throws dev.tokenlearner.core.InvalidInputException if XLA is asked for with several replicas
     */
    public TrainStep build() {
      return new TrainStep(this);
    }
  }

  /**
   * Fresh weights: Flax's initialisers seeded with the config's {@code rng_seed}, {@code
   * init_head_bias} on the head's bias, zero optimizer state and global step 0.
   */
  public void initialize() {
    initialize(config.train().rngSeed(), config.train().initHeadBias());
  }

  /** As {@link #initialize()} with another seed for the weights (replica tests). */
  void initialize(long seed, OptionalDouble initHeadBias) {
    state.initialize(session, seed, initHeadBias);
  }

  /**
   * Copies the chief's weights and optimizer state to every replica and checks that all replicas
   * start at the same global step; call it on every replica after {@link #initialize()} or {@link
   * #restore}. Does nothing with one replica.
   *
   * @throws dev.tokenlearner.core.InvalidInputException if the replicas start at different steps
   */
  public void synchronize() {
    state.synchronize(session);
  }

  /** Which replica this step is. */
  public Replication replication() {
    return replication;
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
    Shape shape = Shape.of(batch.shape());
    try (Tensor x =
            batch.isPixels()
                ? TUint8.tensorOf(shape, DataBuffers.of(batch.pixels(), true, false))
                : TFloat32.tensorOf(shape, DataBuffers.of(batch.images(), true, false));
        TInt32 y = TInt32.vectorOf(batch.labels())) {
      return run(batch.isPixels() ? model.pixels() : model.images(), x, y, batch.step());
    }
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
    return run(model.images(), images, labels, step);
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
    return run(model.pixels(), pixels, labels, step);
  }

  private StepResult run(Operand<?> input, Tensor x, TInt32 y, long step) {
    long seed = config.train().rngSeed();
    long replicaSeed = replication.dropoutSeed(seed);
    try (TInt64 key = TInt64.vectorOf(replicaSeed, step);
        TFloat32 lam =
            TFloat32.scalarOf(
                mixup.isPresent() ? mixup.get().lambda(seed, replicaSeed, step) : 1f)) {
      Session.Runner compute =
          session.runner().feed(input, x).feed(labels, y).feed(model.rngKey(), key);
      mixup.ifPresent(m -> compute.feed(m.lambda(), lam));
      long t0 = System.nanoTime();
      Session.Runner runner =
          hostAllReduce.isPresent() ? hostAllReduce.get().reduce(compute, session) : compute;
      runner.addTarget(trainOp).fetch(loss).fetch(correct).fetch(learningRate).fetch(gradNorm);
      try (Result r = tracer.isPresent() ? RunTrace.run(runner, tracer.get()) : runner.run()) {
        sessionNanos += System.nanoTime() - t0;
        return new StepResult(
            step,
            ((TFloat32) r.get(0)).getFloat(),
            ((TFloat32) r.get(1)).getFloat(),
            (int) x.shape().get(0) * replication.replicas(),
            ((TFloat32) r.get(2)).getFloat(),
            ((TFloat32) r.get(3)).getFloat());
      }
    } catch (TensorFlowException e) {
      throw replication.failed(e);
    } finally {
      hostAllReduce.ifPresent(HostAllReduce::release);
    }
  }

  /**
   * Traces the following steps ({@code FULL_TRACE} step stats) into {@code sink}, or stops tracing.
   *
   * @param sink receives each step's trace; empty stops tracing
   */
  public void trace(Optional<Consumer<RunTrace>> sink) {
    tracer = Objects.requireNonNull(sink, "sink");
  }

  /**
   * Total time spent inside the training steps' {@code Session.run} calls, in nanoseconds; with
   * {@code allreduce_impl: ring} both runs of a step and the ring between them.
   */
  public long sessionNanos() {
    return sessionNanos;
  }

  /** The global step held by the graph: the number of updates applied. */
  public long globalStep() {
    return state.step(session);
  }

  /** The model parameters by Flax path, copied to the host. */
  public Map<String, HostArray> params() {
    return model.store().weights().read(session);
  }

  /** The optimizer's slot values keyed {@code <slot>/<param path>}, copied to the host. */
  Map<String, HostArray> slotValues() {
    return state.slots(session);
  }

  /** The model's parameter declarations (paths, shapes, variables). */
  public ParameterStore parameters() {
    return model.store();
  }

  /** The whole train state (params, optimizer state, step, rng) as Scenic checkpoints hold it. */
  public FlaxTrainState snapshot() {
    return state.snapshot(session, config.train().rngSeed());
  }

  /**
   * Loads a train state written by {@link #snapshot()} (or by Scenic with the same optimizer).
   *
   * @throws IllegalArgumentException listing every parameter or slot that does not match
   */
  public void restore(FlaxTrainState state) {
    this.state.restore(session, state);
  }

  /** The graph (for inspection: op count, devices). */
  public Graph graph() {
    return graph;
  }

  /** The session the step runs in. */
  public Session session() {
    return session;
  }

  /**
   * Sum of the loss without label smoothing (Scenic's evaluation loss) and the number of correct
   * top-1 predictions over one held-out batch, by an inference-mode tower on this step's variables
   * (built on first use).
   *
   * @return {@code {lossSum, correct}}
   */
  double[] evaluate(Batch batch) {
    return evalTower().evaluate(session, batch);
  }

  /**
   * The inference tower's logits (as {@link #evaluate}) for one held-out batch.
   *
   * @return {@code [batch][num_classes]}
   */
  float[][] evalLogits(Batch batch) {
    return evalTower().logits(session, batch);
  }

  /**
   * The first TokenLearner's attention maps for held-out examples, by the inference tower on this
   * step's variables.
   *
   * @param images {@code [b, H, W, C]} or {@code [b, T, H, W, C]} as the model sees them
   * @return {@code [b, K, h, w]} or {@code [b, T', K, h, w]}; empty without a TokenLearner
   */
  Optional<HostArray> evalTokenMaps(HostArray images) {
    return evalTower().tokenMaps(session, images);
  }

  private EvalTower evalTower() {
    if (evalTower == null) {
      evalTower = new EvalTower(model, config, xla());
    }
    return evalTower;
  }

  /** The experiment this step trains. */
  ExperimentConfig config() {
    return config;
  }

  /** The symbolic gradients of the loss, one per parameter, before aggregation and clipping. */
  List<Output<TFloat32>> gradients() {
    return gradients;
  }

  /** The float32 images feed (defaults to the normalised {@code pixels}). */
  Operand<TFloat32> images() {
    return model.images();
  }

  /** The labels feed. */
  Placeholder<TInt32> labels() {
    return labels;
  }

  /** The dropout key feed, {@code [seed, step]}. */
  Placeholder<TInt64> rngKey() {
    return model.rngKey();
  }

  /** The current float16 loss scale, or empty when the model does not compute in float16. */
  Optional<Float> lossScale() {
    return state.lossScale(session);
  }

  /** The dtype the model computes in. */
  ComputeDtype dtype() {
    return model.dtype();
  }

  /** Whether the step runs as one XLA computation. */
  boolean xla() {
    return xla != XlaScope.OFF;
  }

  @Override
  public void close() {
    boolean closed = false;
    try {
      hostAllReduce.ifPresent(HostAllReduce::close);
      closed = replication.closeSession(session);
    } finally {
      // Graph.close() waits for the graph's sessions: a failed replica's stays open.
      if (closed) {
        graph.close();
      }
    }
  }
}
