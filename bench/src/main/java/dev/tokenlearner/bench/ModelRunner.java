package dev.tokenlearner.bench;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.XlaFunction;
import dev.tokenlearner.ops.ComputeDtype;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.train.TrainStep;
import dev.tokenlearner.train.profile.RunTrace;
import dev.tokenlearner.train.profile.StepProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * One benchmark model built into its own graph with initialised random weights and an open session:
 * either the inference forward pass (fetches the logits) or the trainer's own training step ({@link
 * TrainStep}: loss, gradients, global-norm clipping, the learning-rate schedule and AdamW with its
 * two slots, as {@code configs/token_learner_b16.yaml} trains).
 *
 * <p>Building, initialising and opening happen in the factory methods; {@link #run} times only the
 * session run (for the training step: {@link TrainStep#run(TFloat32, TInt32, long)}).
 */
public final class ModelRunner implements AutoCloseable {

  /** What a run computes. */
  public enum Kind {
    /** Inference forward pass to the logits. */
    FORWARD,
    /** The trainer's step: forward, backward, clipping and the AdamW update of every parameter. */
    TRAIN_STEP
  }

  /** The bundled config whose optimizer, schedule and clipping the training step uses. */
  static final String TRAINING_RECIPE = "configs/token_learner_b16.yaml";

  private final BenchConfig config;
  private final Kind kind;
  private final ModelGraph model;
  private final Session session;
  private final Operand<TFloat32> logits;
  private final TrainStep step;
  private long steps;

  private ModelRunner(
      BenchConfig config,
      Kind kind,
      ModelGraph model,
      Session session,
      Operand<TFloat32> logits,
      TrainStep step) {
    this.config = config;
    this.kind = kind;
    this.model = model;
    this.session = session;
    this.logits = logits;
    this.step = step;
  }

  /**
   * Builds the graph, opens a session and initialises the weights from {@code seed}.
   *
   * @param config the model
   * @param kind forward pass or training step
   * @param settings the session settings
   * @param seed weight seed (the training step uses its recipe's {@code rng_seed})
   * @return the runner; the caller closes it
   */
  public static ModelRunner open(
      BenchConfig config, Kind kind, SessionSettings settings, long seed) {
    return open(config, kind, settings, seed, false);
  }

  /**
   * Like {@link #open(BenchConfig, Kind, SessionSettings, long)}, optionally compiled by XLA: the
   * forward pass as one computation, or the whole training step ({@link TrainStep.Builder#xla},
   * {@link TrainStep.XlaScope#STEP}).
   *
   * @param config the model
   * @param kind forward pass or training step
   * @param settings the session settings
   * @param seed weight seed (the training step uses its recipe's {@code rng_seed})
   * @param xla whether to compile with XLA ({@link XlaFunction})
   * @return the runner; the caller closes it
   */
  public static ModelRunner open(
      BenchConfig config, Kind kind, SessionSettings settings, long seed, boolean xla) {
    return open(config, kind, settings, seed, xla, ComputeDtype.FLOAT32);
  }

  /**
   * Like {@link #open(BenchConfig, Kind, SessionSettings, long, boolean)}, computing in {@code
   * dtype} (the training step as {@code model_dtype_str} trains: float32 weights and optimizer).
   *
   * @param config the model
   * @param kind forward pass or training step
   * @param settings the session settings
   * @param seed weight seed (the training step uses its recipe's {@code rng_seed})
   * @param xla whether to compile with XLA ({@link XlaFunction})
   * @param dtype the compute dtype
   * @return the runner; the caller closes it
   */
  public static ModelRunner open(
      BenchConfig config,
      Kind kind,
      SessionSettings settings,
      long seed,
      boolean xla,
      ComputeDtype dtype) {
    if (kind == Kind.TRAIN_STEP) {
      return trainStep(
          config, settings, xla ? TrainStep.XlaScope.STEP : TrainStep.XlaScope.OFF, dtype);
    }
    return open(config, settings, seed, true, xla, dtype);
  }

  /**
   * The trainer's step of {@code config} with {@code scope} of it compiled by XLA.
   *
   * @param config the model
   * @param settings the session settings
   * @param scope how much of the step XLA compiles
   * @param dtype the compute dtype
   * @return the runner; the caller closes it
   */
  public static ModelRunner trainStep(
      BenchConfig config, SessionSettings settings, TrainStep.XlaScope scope, ComputeDtype dtype) {
    TrainStep step =
        TrainStep.builder(experiment(config, dtype))
            .sessionConfig(settings.toConfigProto())
            .xla(scope)
            .build();
    try {
      step.initialize();
      return new ModelRunner(config, Kind.TRAIN_STEP, null, step.session(), null, step);
    } catch (RuntimeException e) {
      step.close();
      throw e;
    }
  }

  /**
   * Builds the inference graph and opens a session but assigns no weights, as a checkpoint import
   * into a fresh graph finds it.
   *
   * @param config the model
   * @param settings the session settings
   * @return the runner; the caller closes it
   */
  static ModelRunner openUninitialized(BenchConfig config, SessionSettings settings) {
    return open(config, settings, 0L, false, false, ComputeDtype.FLOAT32);
  }

  private static ModelRunner open(
      BenchConfig config,
      SessionSettings settings,
      long seed,
      boolean initialize,
      boolean xla,
      ComputeDtype dtype) {
    ModelGraph model =
        ModelGraph.build(
            config.model(), config.input(), Mode.INFERENCE, -1, Optional.empty(), dtype);
    try {
      Operand<TFloat32> logits = model.outputs().logits();
      if (xla) {
        List<Operand<?>> in = new ArrayList<>();
        in.add(model.images());
        model.store().parameters().forEach(p -> in.add(p.value()));
        logits =
            floats(XlaFunction.call(model.tf().scope(), "xla_forward", in, List.of(logits)).get(0));
      }
      Session s = settings.openSession(model.graph());
      try {
        if (initialize) {
          model.store().weights().initialize(s, model.store().initialValues(seed));
        }
        return new ModelRunner(config, Kind.FORWARD, model, s, logits, null);
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> floats(Output<?> out) {
    return (Output<TFloat32>) out;
  }

  /**
   * The experiment the training step of {@code config} runs: its model with the recipe's training.
   */
  static ExperimentConfig experiment(BenchConfig config) {
    return experiment(config, ComputeDtype.FLOAT32);
  }

  static ExperimentConfig experiment(BenchConfig config, ComputeDtype dtype) {
    ExperimentConfig recipe = ConfigLoader.loadResource(TRAINING_RECIPE);
    return recipe.toBuilder()
        .modelDtypeStr(dtype.configName())
        .model(config.model())
        .input(config.input())
        .source("bench " + config.name() + " with " + TRAINING_RECIPE)
        .build();
  }

  /**
   * Runs the graph once on the given batch and returns the wall time of the run alone.
   *
   * @param batchImages images {@code [b, H, W, C]}
   * @param batchLabels class indices {@code [b]}; ignored by forward runners
   * @return nanoseconds spent in the session run
   * @throws IllegalArgumentException if a training runner gets no labels
   */
  public long run(TFloat32 batchImages, TInt32 batchLabels) {
    if (kind == Kind.TRAIN_STEP) {
      if (batchLabels == null) {
        throw new IllegalArgumentException(config.name() + ": a training step needs labels");
      }
      long t0 = System.nanoTime();
      step.run(batchImages, batchLabels, steps++);
      return System.nanoTime() - t0;
    }
    Session.Runner r = session.runner().feed(model.images(), batchImages).fetch(logits);
    long t0 = System.nanoTime();
    Result result = r.run();
    long t1 = System.nanoTime();
    result.close();
    return t1 - t0;
  }

  /**
   * Runs once like {@link #run} with TensorFlow's full step stats, into {@code profile}, with the
   * host time of this call outside {@code Session.run}.
   *
   * @param batchImages images {@code [b, H, W, C]}
   * @param batchLabels class indices {@code [b]}; ignored by forward runners
   * @param profile receives the run's trace
   * @throws IllegalArgumentException if a training runner gets no labels
   */
  public void runTraced(TFloat32 batchImages, TInt32 batchLabels, StepProfile profile) {
    RunTrace[] trace = new RunTrace[1];
    long t0 = System.nanoTime();
    if (kind == Kind.TRAIN_STEP) {
      if (batchLabels == null) {
        throw new IllegalArgumentException(config.name() + ": a training step needs labels");
      }
      step.trace(Optional.of(t -> trace[0] = t));
      try {
        step.run(batchImages, batchLabels, steps++);
      } finally {
        step.trace(Optional.empty());
      }
    } else {
      Session.Runner r = session.runner().feed(model.images(), batchImages).fetch(logits);
      try (Result result = RunTrace.run(r, t -> trace[0] = t)) {
        result.get(0);
      }
    }
    long wall = System.nanoTime() - t0;
    profile.add(trace[0], wall - trace[0].sessionNanos());
  }

  /**
   * Returns the measured model.
   *
   * @return the config this runner was built from
   */
  public BenchConfig config() {
    return config;
  }

  /**
   * Returns what a run computes.
   *
   * @return forward pass or training step
   */
  public Kind kind() {
    return kind;
  }

  /**
   * Returns the number of model parameters (floats).
   *
   * @return the parameter count of the built graph
   */
  public long parameterCount() {
    return store().parameterCount();
  }

  /**
   * Returns the graph's parameter registry.
   *
   * @return the store the model's weights live in
   */
  public ParameterStore store() {
    return step != null ? step.parameters() : model.store();
  }

  /**
   * Returns the open session.
   *
   * @return the session the runner times
   */
  public Session session() {
    return session;
  }

  /**
   * Returns the graph.
   *
   * @return the graph the runner executes
   */
  public Graph graph() {
    return step != null ? step.graph() : model.graph();
  }

  /** Closes the session, then the graph. */
  @Override
  public void close() {
    if (step != null) {
      step.close();
      return;
    }
    try {
      session.close();
    } finally {
      model.close();
    }
  }
}
