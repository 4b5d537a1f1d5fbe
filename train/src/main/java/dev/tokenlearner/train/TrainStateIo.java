package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.config.OptimizerSpec;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.Names;
import dev.tokenlearner.ops.Parameter;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.ops.PathScope;
import dev.tokenlearner.ops.WeightIo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SortedMap;
import java.util.TreeMap;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The training step's state as Scenic checkpoints hold it, moved between the graph's variables and
 * a {@link FlaxTrainState}: the global step, the parameters, the optimizer's slots as optax's
 * {@code opt_state} tree, the rng ({@code PRNGKey(seed)}) and, under float16, the loss scale in the
 * metadata. Also fresh initialisation and, with several replicas, the start-up broadcast of the
 * chief's state.
 */
final class TrainStateIo {

  /** Name of the int64 global-step variable. */
  static final String GLOBAL_STEP = "global_step";

  /** Name prefix of the feed and assign ops of the optimizer slots and the global step. */
  static final String SLOT_IO_SCOPE = "opt_state_io";

  /**
   * The global step: the number of updates applied, optax's {@code count}.
   *
   * @param variable the int64 scalar variable, {@value #GLOBAL_STEP}
   * @param value its read
   */
  record GlobalStep(Variable<TInt64> variable, Operand<TInt64> value) {
    /** Creates the variable, initialised to 0. */
    static GlobalStep create(Ops tf) {
      Variable<TInt64> v = tf.withName(GLOBAL_STEP).variable(tf.withInitScope().constant(0L));
      return new GlobalStep(v, tf.identity(v));
    }
  }

  private final ParameterStore store;
  private final OptimizerSpec spec;
  private final Operand<TInt64> stepRead;
  private final Placeholder<TInt64> stepInput;
  private final Assign<TInt64> stepAssign;
  private final WeightIo slotIo;
  private final Optional<LossScale> lossScale;
  private final Replication replication;
  private final Optional<Op> broadcast;
  private final Operand<TFloat32> meanStep;

  /**
   * Adds the state's I/O ops and, with several replicas, the broadcast and start-step check.
   *
   * @param tf the graph's root ops
   * @param store the model's parameters
   * @param spec the optimizer (its {@code opt_state} layout)
   * @param step the global step
   * @param optimizer the optimizer's slots
   * @param lossScale the float16 loss scale, empty otherwise
   * @param replication how the replicas reach each other
   */
  TrainStateIo(
      Ops tf,
      ParameterStore store,
      OptimizerSpec spec,
      GlobalStep step,
      OptimizerGraph optimizer,
      Optional<LossScale> lossScale,
      Replication replication) {
    this.store = store;
    this.spec = spec;
    this.stepRead = step.value();
    this.lossScale = lossScale;
    this.replication = replication;
    Ops stepIo = PathScope.at(tf, SLOT_IO_SCOPE + "/" + GLOBAL_STEP);
    stepInput =
        stepIo.withName("value").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
    stepAssign = stepIo.withName("assign").assign(step.variable(), stepInput);
    slotIo = new WeightIo(tf, SLOT_IO_SCOPE, "optimizer slot");
    for (OptimizerGraph.Slot s : optimizer.slots()) {
      slotIo.add(s.key(), s.param().shape(), s.variable(), s.value());
    }
    List<Variable<TFloat32>> replicated = new ArrayList<>();
    store.parameters().forEach(p -> replicated.add(p.variable()));
    optimizer.slots().forEach(s -> replicated.add(s.variable()));
    broadcast = replication.broadcastFromChief(tf.withSubScope("replicas"), replicated);
    meanStep =
        replication.replicas() > 1
            ? replication
                .allReduceMean(
                    tf.withSubScope("replicas"), List.of(tf.dtypes.cast(stepRead, TFloat32.class)))
                .get(0)
            : null;
  }

  /**
   * Fresh state: Flax's initialisers seeded with {@code seed}, {@code init_head_bias} on the head's
   * bias, zero slots, the initial loss scale and step 0.
   */
  void initialize(Session session, long seed, OptionalDouble initHeadBias) {
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
  void synchronize(Session session) {
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
    long own = step(session);
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

  /** The global step held by the graph. */
  long step(Session session) {
    try (Result r = session.runner().fetch(stepRead).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  /** The optimizer's slot values keyed {@code <slot>/<param path>}, copied to the host. */
  Map<String, HostArray> slots(Session session) {
    return slotIo.read(session);
  }

  /**
   * The whole train state as Scenic checkpoints hold it.
   *
   * @param seed the run's seed; the saved {@code rng} is JAX's {@code PRNGKey(seed)}
   */
  FlaxTrainState snapshot(Session session, long seed) {
    long step = step(session);
    SortedMap<String, HostArray> params = new TreeMap<>(store.weights().read(session));
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
  void restore(Session session, FlaxTrainState state) {
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
        throw new InvalidInputException(
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
  Optional<Float> lossScale(Session session) {
    return lossScale.map(ls -> ls.read(session).get(LossScale.SCALE).data()[0]);
  }

  /** JAX's {@code PRNGKey(seed)}: the seed's high and low 32 bits. */
  static int[] prngKey(long seed) {
    return new int[] {(int) (seed >>> 32), (int) seed};
  }
}
