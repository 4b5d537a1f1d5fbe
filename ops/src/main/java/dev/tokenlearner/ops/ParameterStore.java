package dev.tokenlearner.ops;

import dev.tokenlearner.core.HostArray;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The single registry of a graph's model parameters, keyed by Flax path: each parameter's path,
 * role, shape, initializer and variable. It holds no session; values move through {@link
 * #weights()}.
 *
 * <p>Layers declare parameters through {@link ModuleScope#param}; checkpoint import fills them
 * through {@link #weights()}, export and the trainer iterate {@link #parameters()}, and {@code
 * inspect} prints them. Variables start as zeros in the graph; {@link #initialValues} gives Flax's
 * initial values computed on the host, so a seed means the same weights everywhere.
 */
public final class ParameterStore {

  /** Name prefix of the parameters' feed and assign ops. */
  public static final String IO_SCOPE = "parameter_io";

  private final Ops tf;
  private final Map<String, Parameter> params = new LinkedHashMap<>();
  private final WeightIo weights;

  /**
   * @param tf the root ops of the graph the parameters live in; names are given through a {@link
   *     PathScope} (the one {@code tf} is built on, or a fresh one for its graph)
   */
  public ParameterStore(Ops tf) {
    this.tf = PathScope.of(tf);
    this.weights = new WeightIo(this.tf, IO_SCOPE, "parameter");
  }

  /** The root ops this store builds into (built on a {@link PathScope}). */
  public Ops tf() {
    return tf;
  }

  /** The graph the parameters live in. */
  public Graph graph() {
    return (Graph) tf.scope().env();
  }

  /**
   * Creates a variable whose op name is {@code path}.
   *
   * @throws IllegalStateException if the path exists already or TF renamed the variable
   */
  Parameter create(String path, ParameterRole role, long[] shape, Initializer initializer) {
    if (params.containsKey(path)) {
      throw new IllegalStateException("parameter " + path + " is created twice");
    }
    int slash = path.lastIndexOf('/');
    Ops at = slash < 0 ? tf : PathScope.at(tf, path.substring(0, slash));
    Ops init = at.withInitScope();
    Variable<TFloat32> variable =
        at.withName(path.substring(slash + 1))
            .variable(init.zeros(init.constant(shape), TFloat32.class));
    String opName = variable.op().name();
    if (!opName.equals(path)) {
      throw new IllegalStateException(
          "variable for " + path + " got op name " + opName + "; build one model per graph");
    }
    Operand<TFloat32> value = at.identity(variable);
    Parameter p = new Parameter(path, role, shape, initializer, variable, value);
    params.put(path, p);
    weights.add(path, shape, variable, value);
    return p;
  }

  /**
   * The parameter at {@code path}, for a second application of the model.
   *
   * @throws IllegalStateException if there is none or its shape differs
   */
  Parameter existing(String path, long[] shape) {
    Parameter p = params.get(path);
    if (p == null) {
      throw new IllegalStateException("no parameter " + path + " to reuse; build the model first");
    }
    if (!Arrays.equals(p.shape(), shape)) {
      throw new IllegalStateException(
          "parameter " + path + " is " + p.shapeString() + ", reused as " + Arrays.toString(shape));
    }
    return p;
  }

  /** Reads and writes the parameters' values by path. */
  public WeightIo weights() {
    return weights;
  }

  /** All parameters, in creation order. */
  public List<Parameter> parameters() {
    return List.copyOf(params.values());
  }

  /** The parameter at {@code path}, or null. */
  public Parameter get(String path) {
    return params.get(path);
  }

  /** Paths and shapes of all parameters, sorted by path. */
  public Map<String, long[]> shapes() {
    Map<String, long[]> m = new TreeMap<>();
    params.forEach((k, p) -> m.put(k, p.shape()));
    return Collections.unmodifiableMap(m);
  }

  /** Total number of float values over all parameters. */
  public long parameterCount() {
    long n = 0;
    for (Parameter p : params.values()) {
      n += p.size();
    }
    return n;
  }

  /**
   * Flax's initial values for every parameter; each parameter draws from its own stream derived
   * from {@code seed} and its path, so adding a layer does not change the others.
   */
  public Map<String, HostArray> initialValues(long seed) {
    Map<String, HostArray> values = new LinkedHashMap<>();
    for (Parameter p : params.values()) {
      SplittableRandom random =
          new SplittableRandom(seed * 0x9E3779B97F4A7C15L + p.path().hashCode());
      values.put(p.path(), new HostArray(p.shape(), p.initializer().sample(p.shape(), random)));
    }
    return values;
  }
}
