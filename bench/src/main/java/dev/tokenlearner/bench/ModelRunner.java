package dev.tokenlearner.bench;

import dev.tokenlearner.graph.ModelOutputs;
import dev.tokenlearner.graph.TokenLearnerViT;
import dev.tokenlearner.graph.XlaFunction;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;

/**
 * One benchmark model built into its own graph with initialised random weights and an open
 * session: either the inference forward pass (fetches the logits) or one training step.
 *
 * <p>The training step is softmax cross-entropy on one-hot labels, its gradients with respect to
 * every parameter and a plain SGD update of every parameter, so it does the forward pass, the full
 * backward pass and one read-modify-write of the weights, as any optimizer step does.
 *
 * <p>Building, initialising and opening happen in the factory methods; {@link #run} times only
 * {@code Session.Runner.run()}.
 */
public final class ModelRunner implements AutoCloseable {

  /** What a run computes. */
  public enum Kind {
    /** Inference forward pass to the logits. */
    FORWARD,
    /** Forward, backward and an SGD update of every parameter. */
    TRAIN_STEP
  }

  /** SGD learning rate of the training step; small so random weights stay finite. */
  static final float LEARNING_RATE = 1e-4f;

  private final BenchConfig config;
  private final Kind kind;
  private final Graph graph;
  private final Session session;
  private final Placeholder<TFloat32> images;
  private final Placeholder<TFloat32> labels;
  private final Operand<TFloat32> fetch;
  private final Op target;
  private final ParameterStore store;

  private ModelRunner(
      BenchConfig config,
      Kind kind,
      Graph graph,
      Session session,
      Placeholder<TFloat32> images,
      Placeholder<TFloat32> labels,
      Operand<TFloat32> fetch,
      Op target,
      ParameterStore store) {
    this.config = config;
    this.kind = kind;
    this.graph = graph;
    this.session = session;
    this.images = images;
    this.labels = labels;
    this.fetch = fetch;
    this.target = target;
    this.store = store;
  }

  /**
   * Builds the graph, opens a session and initialises the weights from {@code seed}.
   *
   * @param config the model
   * @param kind forward pass or training step
   * @param settings the session settings
   * @param seed weight seed
   * @return the runner; the caller closes it
   */
  public static ModelRunner open(
      BenchConfig config, Kind kind, SessionSettings settings, long seed) {
    return open(config, kind, settings, seed, true, false);
  }

  /**
   * Like {@link #open(BenchConfig, Kind, SessionSettings, long)}, optionally with the forward pass
   * (and for a training step the backward pass too) compiled by XLA as one computation; the SGD
   * update of the variables stays outside it.
   *
   * @param config the model
   * @param kind forward pass or training step
   * @param settings the session settings
   * @param seed weight seed
   * @param xla whether to compile with XLA ({@link XlaFunction})
   * @return the runner; the caller closes it
   */
  public static ModelRunner open(
      BenchConfig config, Kind kind, SessionSettings settings, long seed, boolean xla) {
    return open(config, kind, settings, seed, true, xla);
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
    return open(config, Kind.FORWARD, settings, 0L, false, false);
  }

  private static ModelRunner open(
      BenchConfig config,
      Kind kind,
      SessionSettings settings,
      long seed,
      boolean initialize,
      boolean xla) {
    Graph g = new Graph();
    try {
      Ops tf = Ops.create(g);
      long[] inShape = config.input().shape(-1);
      Placeholder<TFloat32> images =
          tf.withName("images").placeholder(TFloat32.class, Placeholder.shape(Shape.of(inShape)));
      ParameterStore store = new ParameterStore(tf);
      boolean train = kind == Kind.TRAIN_STEP;
      ModuleScope root =
          train
              ? ModuleScope.root(store, tf.constant(new long[] {seed, 0L}))
              : ModuleScope.root(store);
      ModelOutputs out =
          TokenLearnerViT.build(
              root, config.model(), config.input().numClasses(), images,
              train ? Mode.TRAINING : Mode.INFERENCE);
      // Weights are assigned before the loss and gradient ops exist: the store's loader ops are
      // cheaper to add to the smaller graph, and a session keeps working as the graph grows.
      Session s = settings.openSession(g);
      try {
        if (initialize) {
          store.initialize(s, seed);
        }
        Placeholder<TFloat32> labels = null;
        Operand<TFloat32> fetch = out.logits();
        Op target = null;
        List<Operand<TFloat32>> values = store.parameters().stream().map(Parameter::value).toList();
        if (xla && !train) {
          List<Operand<?>> in = new ArrayList<>(values);
          in.add(0, images);
          fetch = cast(XlaFunction.call(tf.scope(), "xla_forward", in, List.of(fetch)).get(0));
        }
        if (train) {
          labels =
              tf.withName("labels")
                  .placeholder(
                      TFloat32.class, Placeholder.shape(Shape.of(-1, config.input().numClasses())));
          Operand<TFloat32> loss =
              tf.math.mean(
                  tf.nn.softmaxCrossEntropyWithLogits(out.logits(), labels).loss(),
                  tf.constant(0),
                  Mean.keepDims(false));
          Gradients grads = tf.gradients(loss, values);
          List<Operand<TFloat32>> dys = new ArrayList<>();
          for (int i = 0; i < values.size(); i++) {
            dys.add(grads.<TFloat32>dy(i));
          }
          if (xla) {
            List<Operand<?>> in = new ArrayList<>(values);
            in.add(0, images);
            in.add(1, labels);
            List<Operand<?>> outs = new ArrayList<>(dys);
            outs.add(0, loss);
            List<Output<?>> called = XlaFunction.call(tf.scope(), "xla_train_step", in, outs);
            loss = cast(called.get(0));
            for (int i = 0; i < dys.size(); i++) {
              dys.set(i, cast(called.get(i + 1)));
            }
          }
          target = sgdStep(tf, store.parameters(), dys);
          fetch = loss;
        }
        return new ModelRunner(config, kind, g, s, images, labels, fetch, target, store);
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
  }

  private static Op sgdStep(Ops tf, List<Parameter> params, List<Operand<TFloat32>> grads) {
    Ops upd = tf.withSubScope("sgd");
    Operand<TFloat32> lr = upd.constant(LEARNING_RATE);
    List<Op> updates = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      updates.add(upd.train.applyGradientDescent(params.get(i).variable(), lr, grads.get(i)));
    }
    return upd.withControlDependencies(updates).noOp();
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> cast(Output<?> out) {
    return (Output<TFloat32>) out;
  }

  /**
   * Runs the graph once on the given batch and returns the wall time of {@code run()} alone.
   *
   * @param batchImages images {@code [b, H, W, C]}
   * @param batchLabels one-hot labels {@code [b, classes]}; ignored by forward runners
   * @return nanoseconds spent in {@code Session.Runner.run()}
   * @throws IllegalArgumentException if a training runner gets no labels
   */
  public long run(TFloat32 batchImages, TFloat32 batchLabels) {
    Session.Runner r = session.runner().feed(images, batchImages).fetch(fetch);
    if (kind == Kind.TRAIN_STEP) {
      if (batchLabels == null) {
        throw new IllegalArgumentException(config.name() + ": a training step needs labels");
      }
      r.feed(labels, batchLabels).addTarget(target);
    }
    long t0 = System.nanoTime();
    Result result = r.run();
    long t1 = System.nanoTime();
    result.close();
    return t1 - t0;
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
    return store.parameterCount();
  }

  /**
   * Returns the graph's parameter registry.
   *
   * @return the store the model's weights live in
   */
  public ParameterStore store() {
    return store;
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
    return graph;
  }

  /** Closes the session, then the graph. */
  @Override
  public void close() {
    try {
      session.close();
    } finally {
      graph.close();
    }
  }
}
