package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.LossScaleConfig;
import dev.tokenlearner.config.LrConfig;
import dev.tokenlearner.config.MixupConfig;
import dev.tokenlearner.config.RuntimeConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.ModelOutputs;
import dev.tokenlearner.graph.Names;
import dev.tokenlearner.graph.XlaFunction;
import dev.tokenlearner.ops.ComputeDtype;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.ops.PathScope;
import dev.tokenlearner.ops.WeightIo;
import dev.tokenlearner.train.data.Batch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SortedMap;
import java.util.TreeMap;
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
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * The training graph and its session: the model in training mode, the loss, symbolic gradients,
 * global-norm clipping, the learning-rate schedule of the global step and the optimizer update.
 *
 * <p>Feeds per step: {@code images [b, H, W, C]} float32, or {@code pixels} of the same shape as
 * uint8 {@code 0..255}, normalised in the graph with the experiment's normalisation; {@code labels
 * [b]}; the dropout key {@code [seed, step]}; with {@code mixup} the step's mixing weight, drawn
 * from (seed, step). So a step's randomness depends only on (seed, step). Fetches: loss, number of
 * correct top-1 predictions (Scenic's training accuracy, against the mixed labels under mixup),
 * learning rate and the gradients' global norm before clipping.
 *
 * <p>With several {@link Replication replicas}, each feeds its slice of the global batch; the
 * gradients (after the aggregator, before clipping), loss and correct count are averaged over the
 * replicas by one collective, so every replica applies the same update and reports global-batch
 * metrics.
 */
final class TrainGraph implements AutoCloseable {

  /** Name of the int64 global-step variable. */
  static final String GLOBAL_STEP = "global_step";

  /** Name prefix of the feed and assign ops of the optimizer slots and the global step. */
  static final String SLOT_IO_SCOPE = "opt_state_io";

  private final ExperimentConfig cfg;
  private final OptimizerSpec spec;
  private final ModelGraph model;
  private final Graph graph;
  private final Session session;
  private final ParameterStore store;
  private final OptimizerGraph optimizer;
  private final WeightIo slotIo;
  private final Operand<TFloat32> images;
  private final Placeholder<TUint8> pixels;
  private final Optional<Mixup> mixup;
  private final Placeholder<TInt32> labels;
  private final Placeholder<TInt64> rngKey;
  private final Variable<TInt64> globalStep;
  private final Operand<TInt64> stepRead;
  private final Placeholder<TInt64> stepInput;
  private final Assign<TInt64> stepAssign;
  private final Operand<TFloat32> loss;
  private final Operand<TFloat32> correct;
  private final Operand<TFloat32> learningRate;
  private final Operand<TFloat32> gradNorm;
  private final List<Output<TFloat32>> gradients = new ArrayList<>();
  private final Op trainOp;
  private final boolean xla;
  private final Replication replication;
  private final Optional<Op> broadcast;
  private final Operand<TFloat32> meanStep;
  private final ComputeDtype dtype;
  private final Optional<LossScale> lossScale;

  /**
   * Builds the graph and opens a session on it.
   *
   * @param cfg the experiment
   * @param sessionConfig session options (device placement logging, threads)
   * @throws IllegalArgumentException if the config has no {@code lr_configs} or a parameter gets no
   *     gradient
   */
  TrainGraph(ExperimentConfig cfg, ConfigProto sessionConfig) {
    this(cfg, sessionConfig, RuntimeConfig.of(cfg).jitOr(false));
  }

  /**
   * Builds the graph and opens a session on it, with or without XLA.
   *
   * @param cfg the experiment
   * @param sessionConfig session options (device placement logging, threads)
   * @param xla whether forward, backward and clipping run as one XLA computation
   */
  TrainGraph(ExperimentConfig cfg, ConfigProto sessionConfig, boolean xla) {
    this(cfg, sessionConfig, g -> g, Optional.empty(), xla, Replication.single());
  }

  /**
   * Builds the graph and opens a session on it.
   *
   * @param cfg the experiment
   * @param sessionConfig session options
   * @param aggregator applied to the raw gradients (one per parameter, in parameter order) before
   *     the norm and clipping, e.g. to average them over devices
   * @param device where the model tower, loss and gradients go; empty: TF places them
   * @param xla whether forward, backward and clipping run as one XLA computation ({@link
   *     XlaFunction}); the numbers equal the plain graph's within float32 rounding (one replica
   *     only)
   * @param replication how this replica averages with the others, where its session runs
   * @throws IllegalArgumentException if the config has no {@code lr_configs} or a parameter gets no
   *     gradient
   * @throws InvalidInputException if XLA is asked for with several replicas
   */
  TrainGraph(
      ExperimentConfig cfg,
      ConfigProto sessionConfig,
      Function<List<Operand<TFloat32>>, List<Operand<TFloat32>>> aggregator,
      Optional<DeviceSpec> device,
      boolean xla,
      Replication replication) {
    if (xla && replication.replicas() > 1) {
      // The all-reduce sits between the gradients and clipping, which XLA compiles as one.
      throw new InvalidInputException(
          cfg.source() + ": jit (XLA) is not supported with several replicas; train without jit");
    }
    this.cfg = cfg;
    this.xla = xla;
    this.replication = replication;
    this.spec = OptimizerSpec.of(cfg);
    LrConfig lr =
        cfg.train()
            .lrConfigs()
            .orElseThrow(
                () -> new IllegalArgumentException("training needs lr_configs in " + cfg.source()));
    CustomGradients.register();
    mixup = MixupConfig.of(cfg).map(Mixup::new);
    dtype = ComputeDtype.of(cfg.modelDtypeStr());
    model =
        ModelGraph.build(
            cfg.model(),
            cfg.input(),
            Mode.TRAINING,
            -1,
            device,
            Optional.of(cfg.normalization()),
            mixup.isPresent() ? mixup.get()::mixImages : ModelGraph.InputTransform.NONE,
            dtype);
    graph = model.graph();
    try {
      Ops tf = model.tf();
      images = model.images();
      pixels = model.pixels();
      rngKey = model.rngKey();
      store = model.store();
      ModelOutputs out = model.outputs();
      labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      Ops t = tf.withSubScope("train");
      Operand<TFloat32> objective;
      Operand<TFloat32> correctValue;
      if (mixup.isPresent()) {
        // Scenic mixes the one-hot labels; its loss smooths the mixed ones.
        Operand<TFloat32> mixed =
            mixup.get().mixTargets(t, Losses.oneHot(t, labels, cfg.numClasses()));
        objective =
            Losses.mean(
                t,
                cfg.modelName(),
                out.logits(),
                Losses.smooth(t, mixed, cfg.numClasses(), cfg.train().labelSmoothing()));
        correctValue = Losses.correct(t, cfg.modelName(), out.logits(), mixed);
      } else {
        objective =
            Losses.mean(
                t,
                cfg.modelName(),
                out.logits(),
                labels,
                cfg.numClasses(),
                cfg.train().labelSmoothing());
        correctValue = Losses.correct(t, out.logits(), labels);
      }
      List<Parameter> params = store.parameters();
      List<Operand<TFloat32>> values = params.stream().map(Parameter::value).toList();
      if (spec.l2DecayFactor().isPresent()) {
        objective =
            t.math.add(
                objective,
                t.math.mul(
                    t.constant((float) (0.5 * spec.l2DecayFactor().getAsDouble())),
                    Losses.sumOfSquares(t, Losses.l2Regularized(params))));
      }
      Operand<TFloat32> lossValue = objective;
      Ops init = tf.withInitScope();
      globalStep = tf.withName(GLOBAL_STEP).variable(init.constant(0L));
      stepRead = tf.identity(globalStep);
      Ops stepIo = PathScope.at(tf, SLOT_IO_SCOPE + "/" + GLOBAL_STEP);
      stepInput =
          stepIo.withName("value").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      stepAssign = stepIo.withName("assign").assign(globalStep, stepInput);
      learningRate =
          t.withName("learning_rate").identity(LearningRateSchedule.build(t, lr, stepRead));

      // float16 only: bfloat16 has float32's exponent range, so its gradients do not underflow.
      lossScale =
          dtype == ComputeDtype.FLOAT16
              ? Optional.of(new LossScale(tf, LossScaleConfig.of(cfg)))
              : Optional.empty();
      List<Operand<?>> xlaInputs = new ArrayList<>(List.of(images, labels, rngKey));
      mixup.ifPresent(m -> xlaInputs.add(m.lambda()));
      xlaInputs.addAll(values);
      Operand<TFloat32> scale = null;
      if (lossScale.isPresent()) {
        // Under XLA the scale is an argument of the compiled step, like the parameters.
        scale = lossScale.get().scale();
        xlaInputs.add(scale);
      }
      Operand<TFloat32> differentiated =
          scale == null ? lossValue : lossScale.get().scaled(t, lossValue, scale);
      Gradients g = Gradients.create(tf.withSubScope("gradients").scope(), differentiated, values);
      for (int i = 0; i < params.size(); i++) {
        Output<TFloat32> dy = g.dy(i);
        if (dy == null) {
          throw new IllegalStateException(
              "parameter " + params.get(i).path() + " gets no gradient from the loss");
        }
        gradients.add(dy);
      }
      List<Operand<TFloat32>> raw =
          scale == null
              ? List.copyOf(gradients)
              : lossScale.get().unscaled(t.withSubScope("loss_scale"), gradients, scale);
      List<Operand<TFloat32>> aggregated = List.copyOf(aggregator.apply(raw));
      if (aggregated.size() != params.size()) {
        throw new IllegalStateException(
            "the gradient aggregator returned "
                + aggregated.size()
                + " gradients for "
                + params.size()
                + " parameters");
      }
      if (replication.replicas() > 1) {
        // Data parallelism: the mean over the replicas of their shard's gradients, loss and
        // correct count is what one process computes on the whole global batch (equal shards).
        List<Operand<TFloat32>> shardValues = new ArrayList<>(aggregated);
        shardValues.add(lossValue);
        shardValues.add(correctValue);
        List<Operand<TFloat32>> reduced =
            replication.allReduceMean(tf.withSubScope("replicas"), shardValues);
        aggregated = List.copyOf(reduced.subList(0, params.size()));
        lossValue = reduced.get(params.size());
        correctValue =
            t.math.mul(reduced.get(params.size() + 1), t.constant((float) replication.replicas()));
      }
      Operand<TFloat32> sumSq = t.constant(0f);
      for (Operand<TFloat32> dy : aggregated) {
        sumSq =
            t.math.add(
                sumSq,
                t.sum(t.math.square(t.reshape(dy, t.constant(new long[] {-1}))), t.constant(0)));
      }
      Operand<TFloat32> norm = t.math.sqrt(sumSq);
      List<Operand<TFloat32>> clipped = new ArrayList<>(aggregated);
      if (spec.maxGradNorm().isPresent()) {
        Operand<TFloat32> max = t.constant((float) spec.maxGradNorm().getAsDouble());
        // Scenic's clip_grads: g if norm < max else g * max / norm.
        Operand<TFloat32> factor =
            t.select(t.math.less(norm, max), t.constant(1f), t.math.div(max, norm));
        clipped.replaceAll(d -> t.math.mul(d, factor));
      }
      if (xla) {
        // Forward, loss, backward and clipping as one XLA computation; the optimizer updates the
        // variables from its outputs.
        List<Operand<?>> in = xlaInputs;
        List<Operand<?>> outs = new ArrayList<>(List.of(lossValue, correctValue, norm));
        outs.addAll(clipped);
        List<Output<?>> called = XlaFunction.call(t.scope(), "xla_train_step", in, outs);
        lossValue = floats(called.get(0));
        correctValue = floats(called.get(1));
        norm = floats(called.get(2));
        for (int i = 0; i < clipped.size(); i++) {
          clipped.set(i, floats(called.get(3 + i)));
        }
      }
      loss = t.withName("loss").identity(lossValue);
      correct = t.withName("correct").identity(correctValue);
      gradNorm = t.withName("grad_norm").identity(norm);
      optimizer = new OptimizerGraph(tf, spec, params);
      slotIo = new WeightIo(tf, SLOT_IO_SCOPE, "optimizer slot");
      for (OptimizerGraph.Slot s : optimizer.slots()) {
        slotIo.add(s.key(), s.param().shape(), s.variable(), s.value());
      }
      // A float16 step with non-finite gradients changes no parameter or slot.
      Optional<Operand<TBool>> finite =
          lossScale.map(ls -> LossScale.allFinite(t.withSubScope("loss_scale"), gradNorm));
      Op update =
          optimizer.update(
              tf,
              clipped,
              learningRate,
              stepRead,
              globalStep,
              List.of(loss, correct, gradNorm, learningRate),
              finite);
      if (lossScale.isPresent()) {
        Ops after = tf.withSubScope("loss_scale").withControlDependencies(List.of(update));
        List<Op> all = new ArrayList<>(lossScale.get().update(after, finite.orElseThrow()));
        all.add(update);
        trainOp = tf.withControlDependencies(all).withName("train_step").noOp();
      } else {
        trainOp = update;
      }
      List<Variable<TFloat32>> replicated = new ArrayList<>();
      params.forEach(p -> replicated.add(p.variable()));
      optimizer.slots().forEach(s -> replicated.add(s.variable()));
      broadcast = replication.broadcastFromChief(tf.withSubScope("replicas"), replicated);
      meanStep =
          replication.replicas() > 1
              ? replication
                  .allReduceMean(
                      tf.withSubScope("replicas"),
                      List.of(tf.dtypes.cast(stepRead, TFloat32.class)))
                  .get(0)
              : null;
      session = replication.openSession(graph, sessionConfig);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  ParameterStore store() {
    return store;
  }

  ModelGraph model() {
    return model;
  }

  Graph graph() {
    return graph;
  }

  OptimizerSpec spec() {
    return spec;
  }

  Session session() {
    return session;
  }

  List<Output<TFloat32>> gradients() {
    return gradients;
  }

  Operand<TFloat32> images() {
    return images;
  }

  Placeholder<TUint8> pixels() {
    return pixels;
  }

  Placeholder<TInt32> labels() {
    return labels;
  }

  Placeholder<TInt64> rngKey() {
    return rngKey;
  }

  Operand<TFloat32> loss() {
    return loss;
  }

  /**
   * Fresh weights: Flax's initialisers seeded with {@code seed}, {@code init_head_bias} on the
   * head's bias, zero slots and step 0.
   */
  void initialize(long seed, OptionalDouble initHeadBias) {
    store.weights().initialize(session, store.initialValues(seed));
    lossScale.ifPresent(ls -> ls.initialize(session));
    if (initHeadBias.isPresent()) {
      String path = Names.OUTPUT_PROJECTION + "/bias";
      Parameter bias = store.get(path);
      float[] v = new float[Math.toIntExact(bias.size())];
      Arrays.fill(v, (float) initHeadBias.getAsDouble());
      store.weights().assign(session, Map.of(path, new HostArray(bias.shape(), v)));
    }
  }

  /**
   * Copies the chief's parameters and optimizer slots into this replica, after {@link #initialize}
   * or {@link #restore} ran on every replica, and checks that all replicas start at the same step.
   * Does nothing in a single process.
   *
   * @throws InvalidInputException if the replicas restored different steps (workdir not shared)
   */
  void synchronize() {
    if (broadcast.isEmpty()) {
      return;
    }
    float mean;
    try {
      session.runner().addTarget(broadcast.get()).run().close();
      try (Result r = session.runner().fetch(meanStep).run()) {
        mean = ((TFloat32) r.get(0)).getFloat();
      }
    } catch (TensorFlowException e) {
      throw replication.failed(e);
    }
    long own = step();
    if (Math.abs(mean - own) > 0.25f) {
      throw new InvalidInputException(
          replication.describe()
              + " starts at step "
              + own
              + " but the replicas' mean start step is "
              + mean
              + ": every replica must resume from the same checkpoint (share the workdir)");
    }
  }

  Replication replication() {
    return replication;
  }

  /** The global step held by the graph. */
  long step() {
    try (Result r = session.runner().fetch(stepRead).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  /**
   * Runs one training step on a batch.
   *
   * @param batch the batch (this replica's slice of the global batch); its step must equal the
   *     graph's global step
   * @param seed the run's seed (the dropout key is {@code [seed, step]})
   * @return loss and metrics of the step (computed before the update)
   */
  StepResult run(Batch batch, long seed) {
    Shape shape = Shape.of(batch.shape());
    try (Tensor x =
            batch.isPixels()
                ? TUint8.tensorOf(shape, DataBuffers.of(batch.pixels(), true, false))
                : TFloat32.tensorOf(shape, DataBuffers.of(batch.images(), true, false));
        TInt32 y = TInt32.vectorOf(batch.labels())) {
      return run(batch.isPixels() ? pixels : images, x, y, batch.step(), seed);
    }
  }

  /**
   * Runs one training step on a batch already in tensors.
   *
   * @param x images {@code [b, H, W, C]} (this replica's slice of the global batch)
   * @param y labels {@code [b]}
   * @param step the batch's step (the dropout key is {@code [seed, step]})
   * @param seed the run's seed
   * @return loss and metrics of the global batch (all replicas), computed before the update
   */
  StepResult run(TFloat32 x, TInt32 y, long step, long seed) {
    return run(images, x, y, step, seed);
  }

  /**
   * Runs one training step on uint8 pixels already in a tensor.
   *
   * @param x pixels {@code [b, H, W, C]} in {@code 0..255}
   * @param y labels {@code [b]}
   * @param step the batch's step
   * @param seed the run's seed
   * @return loss and metrics of the global batch, computed before the update
   */
  StepResult run(TUint8 x, TInt32 y, long step, long seed) {
    return run(pixels, x, y, step, seed);
  }

  private StepResult run(Operand<?> input, Tensor x, TInt32 y, long step, long seed) {
    long replicaSeed = replication.dropoutSeed(seed);
    try (TInt64 key = TInt64.vectorOf(replicaSeed, step);
        TFloat32 lam =
            TFloat32.scalarOf(
                mixup.isPresent() ? mixup.get().lambda(seed, replicaSeed, step) : 1f)) {
      Session.Runner runner = session.runner().feed(input, x).feed(labels, y).feed(rngKey, key);
      mixup.ifPresent(m -> runner.feed(m.lambda(), lam));
      try (Result r =
          runner
              .addTarget(trainOp)
              .fetch(loss)
              .fetch(correct)
              .fetch(learningRate)
              .fetch(gradNorm)
              .run()) {
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
    }
  }

  /** Feeds and fetches of the inference tower used for held-out evaluation. */
  private record EvalTower(
      Placeholder<TFloat32> images,
      Placeholder<TInt32> labels,
      Operand<TFloat32> lossSum,
      Operand<TFloat32> correct,
      Operand<TFloat32> logits) {}

  private EvalTower evalTower;

  /**
   * Sum of the loss without label smoothing (Scenic's evaluation loss) and the number of correct
   * top-1 predictions over one held-out batch, computed by an inference-mode tower on this graph's
   * variables (built on first use).
   *
   * @return {@code {lossSum, correct}}
   */
  double[] evaluate(Batch batch) {
    if (evalTower == null) {
      evalTower = buildEvalTower();
    }
    EvalTower e = evalTower;
    try (TFloat32 x =
            TFloat32.tensorOf(
                Shape.of(batch.shape()), DataBuffers.of(batch.images(), true, false));
        TInt32 y = TInt32.vectorOf(batch.labels());
        Result r =
            session
                .runner()
                .feed(e.images(), x)
                .feed(e.labels(), y)
                .fetch(e.lossSum())
                .fetch(e.correct())
                .run()) {
      return new double[] {((TFloat32) r.get(0)).getFloat(), ((TFloat32) r.get(1)).getFloat()};
    }
  }

  private EvalTower buildEvalTower() {
    Ops tf = model.tf();
    Placeholder<TFloat32> x =
        tf.withName("eval_images")
            .placeholder(TFloat32.class, Placeholder.shape(Shape.of(cfg.input().shape(-1))));
    Placeholder<TInt32> y =
        tf.withName("eval_labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
    ModelOutputs out = model.inferenceTower("eval", x);
    Ops e = tf.withSubScope("eval_metrics");
    Operand<TFloat32> mean =
        Losses.mean(e, cfg.modelName(), out.logits(), y, cfg.numClasses(), OptionalDouble.empty());
    Operand<TFloat32> n = e.dtypes.cast(e.size(y), TFloat32.class);
    return new EvalTower(
        x,
        y,
        e.withName("loss_sum").math.mul(mean, n),
        e.withName("correct").identity(Losses.correct(e, out.logits(), y)),
        e.withName("logits").identity(out.logits()));
  }

  /**
   * The logits of the inference tower (as {@link #evaluate}) for one held-out batch; multi-view
   * evaluation averages them over the views of a video.
   *
   * @return {@code [batch][num_classes]}
   */
  float[][] evalLogits(Batch batch) {
    if (evalTower == null) {
      evalTower = buildEvalTower();
    }
    try (TFloat32 x =
            TFloat32.tensorOf(
                Shape.of(batch.shape()), DataBuffers.of(batch.images(), true, false));
        Result r = session.runner().feed(evalTower.images(), x).fetch(evalTower.logits()).run()) {
      TFloat32 l = (TFloat32) r.get(0);
      int k = (int) l.shape().get(1);
      float[][] out = new float[batch.size()][k];
      for (int i = 0; i < out.length; i++) {
        l.get(i).copyTo(DataBuffers.of(out[i], false, false));
      }
      return out;
    }
  }

  /** The model parameters by path. */
  Map<String, HostArray> params() {
    return store.weights().read(session);
  }

  /**
   * The whole train state as Scenic checkpoints hold it.
   *
   * @param seed the run's seed; the saved {@code rng} is JAX's {@code PRNGKey(seed)}
   */
  FlaxTrainState snapshot(long seed) {
    long step = step();
    SortedMap<String, HostArray> params = new TreeMap<>(params());
    Map<String, Object> optState = OptimizerGraph.optState(spec, step, slotIo.read(session));
    Map<String, Object> metadata = FlaxTrainState.defaultMetadata();
    lossScale.ifPresent(ls -> metadata.put(LossScale.SCOPE, lossScaleMetadata(ls.read(session))));
    return new FlaxTrainState(step, params, optState, prngKey(seed), metadata);
  }

  /** The loss-scale state as a metadata tree: {@code {scale: float, good_steps: int}}. */
  private static Map<String, Object> lossScaleMetadata(Map<String, HostArray> state) {
    Map<String, Object> m = new TreeMap<>();
    m.put(LossScale.SCALE, (double) state.get(LossScale.SCALE).data()[0]);
    m.put(LossScale.GOOD_STEPS, (long) state.get(LossScale.GOOD_STEPS).data()[0]);
    return m;
  }

  /**
   * Loads a train state written by {@link #snapshot} (or by Scenic with the same optimizer).
   *
   * @throws IllegalArgumentException if parameters or slots do not match this graph
   */
  void restore(FlaxTrainState state) {
    session.initialize();
    store.weights().load(session, state.params());
    slotIo.load(session, OptimizerGraph.slotValues(spec, state.optState()));
    if (lossScale.isPresent()) {
      lossScale.get().load(session, restoredLossScale(state, lossScale.get()));
    }
    try (TInt64 s = TInt64.scalarOf(state.step())) {
      session.runner().feed(stepInput, s).addTarget(stepAssign).run().close();
    }
  }

  /**
   * The loss-scale state saved in {@code state}'s metadata, or the initial one for a checkpoint
   * written without (e.g. by a float32 or bfloat16 run).
   *
   * @throws IllegalArgumentException if the metadata entry is malformed
   */
  private static Map<String, HostArray> restoredLossScale(FlaxTrainState state, LossScale ls) {
    Object saved = state.metadata() == null ? null : state.metadata().get(LossScale.SCOPE);
    if (saved == null) {
      return ls.initialState();
    }
    Map<String, HostArray> out = new LinkedHashMap<>();
    for (String key : LossScale.KEYS) {
      Object v = saved instanceof Map<?, ?> m ? m.get(key) : null;
      if (!(v instanceof Number n)) {
        throw new IllegalArgumentException(
            "checkpoint metadata/"
                + LossScale.SCOPE
                + "/"
                + key
                + ": expected a number, found "
                + v);
      }
      out.put(key, new HostArray(new long[0], new float[] {n.floatValue()}));
    }
    return out;
  }

  /** The current float16 loss scale, or empty when the model does not compute in float16. */
  Optional<Float> lossScale() {
    return lossScale.map(ls -> ls.read(session).get(LossScale.SCALE).data()[0]);
  }

  /** The dtype the model computes in. */
  ComputeDtype dtype() {
    return dtype;
  }

  /** Whether the step runs as one XLA computation. */
  boolean xla() {
    return xla;
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> floats(Output<?> out) {
    return (Output<TFloat32>) out;
  }

  /** JAX's {@code PRNGKey(seed)}: the seed's high and low 32 bits. */
  static int[] prngKey(long seed) {
    return new int[] {(int) (seed >>> 32), (int) seed};
  }

  @Override
  public void close() {
    boolean closed = false;
    try {
      closed = replication.closeSession(session);
    } finally {
      // Graph.close() waits for the graph's sessions: a failed replica's stays open.
      if (closed) {
        graph.close();
      }
    }
  }
}
