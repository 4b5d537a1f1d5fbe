package dev.tokenlearner.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The single registry of a graph's model parameters, keyed by Flax path.
 *
 * <p>Layers create parameters through {@link ModuleScope#param}; checkpoint import fills them with
 * {@link #load}, export and the trainer iterate {@link #parameters()}, and {@code inspect} prints
 * them. Variables start as zeros in the graph; {@link #initialize} gives them Flax's initial values
 * computed on the host, so a seed means the same weights everywhere.
 */
public final class ParameterStore {

  private final Ops tf;
  private final Map<String, Parameter> params = new LinkedHashMap<>();
  private final Map<String, Loader> loaders = new LinkedHashMap<>();
  private int randomSites;
  private Ops io;

  private record Loader(Placeholder<TFloat32> input, Assign<TFloat32> assign) {}

  /**
   * @param tf the root ops of the graph the parameters live in
   */
  public ParameterStore(Ops tf) {
    this.tf = tf;
  }

  /** The root ops this store builds into. */
  public Ops tf() {
    return tf;
  }

  /** The graph the parameters live in. */
  public Graph graph() {
    return (Graph) tf.scope().env();
  }

  /**
   * Creates a variable named {@code leaf} in {@code scoped}'s name scope.
   *
   * @throws IllegalStateException if the path exists already or TF renamed the variable
   */
  Parameter create(Ops scoped, String path, String leaf, long[] shape, Initializer initializer) {
    if (params.containsKey(path)) {
      throw new IllegalStateException("parameter " + path + " is created twice");
    }
    Ops init = scoped.withInitScope();
    Variable<TFloat32> variable =
        scoped.withName(leaf).variable(init.zeros(init.constant(shape), TFloat32.class));
    String opName = variable.op().name();
    if (!opName.equals(path)) {
      throw new IllegalStateException(
          "variable for " + path + " got op name " + opName + "; build one model per graph");
    }
    Operand<TFloat32> value = scoped.identity(variable);
    Parameter p = new Parameter(path, shape, initializer, variable, value);
    params.put(path, p);
    return p;
  }

  /** Index of the next random-number site; dropout masks use it to differ from each other. */
  int nextRandomSite() {
    return randomSites++;
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
      SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + p.path().hashCode());
      values.put(p.path(), new HostArray(p.shape(), p.initializer().sample(p.shape(), random)));
    }
    return values;
  }

  /** Runs the graph's variable initialisers, then assigns {@link #initialValues(long)}. */
  public void initialize(Session session, long seed) {
    session.initialize();
    load(session, initialValues(seed));
  }

  /**
   * Assigns values to parameters by path. The map must name exactly this store's parameters with
   * their shapes; otherwise nothing is assigned and the error lists every missing, unexpected and
   * wrongly-shaped path.
   *
   * @throws IllegalArgumentException naming each mismatch
   */
  public void load(Session session, Map<String, HostArray> values) {
    List<String> problems = new ArrayList<>();
    for (Parameter p : params.values()) {
      HostArray v = values.get(p.path());
      if (v == null) {
        problems.add("missing " + p.path() + " " + p.shapeString());
      } else if (!Arrays.equals(v.shape(), p.shape())) {
        problems.add(
            "wrong shape " + p.path() + ": expected " + p.shapeString() + ", found " + v.shapeString());
      }
    }
    for (String k : values.keySet()) {
      if (!params.containsKey(k)) {
        problems.add("unexpected " + k + " " + values.get(k).shapeString());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          problems.size() + " parameter mismatch(es):\n  " + String.join("\n  ", problems));
    }
    assign(session, values);
  }

  /** Assigns the given values (a subset is fine); shapes must match. */
  public void assign(Session session, Map<String, HostArray> values) {
    List<Tensor> inputs = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Map.Entry<String, HostArray> e : values.entrySet()) {
        Parameter p = params.get(e.getKey());
        if (p == null) {
          throw new IllegalArgumentException("no parameter " + e.getKey());
        }
        HostArray v = e.getValue();
        if (!Arrays.equals(v.shape(), p.shape())) {
          throw new IllegalArgumentException(
              p.path() + ": expected " + p.shapeString() + ", found " + v.shapeString());
        }
        Loader loader = loader(p);
        TFloat32 t = TFloat32.tensorOf(Shape.of(v.shape()), DataBuffers.of(v.data(), true, false));
        inputs.add(t);
        runner.feed(loader.input(), t).addTarget(loader.assign());
      }
      if (!inputs.isEmpty()) {
        runner.run().close();
      }
    } finally {
      inputs.forEach(Tensor::close);
    }
  }

  /** Current values of all parameters, keyed by path in creation order. */
  public Map<String, HostArray> read(Session session) {
    Map<String, HostArray> out = new LinkedHashMap<>();
    List<Parameter> all = parameters();
    int batch = 64;
    for (int from = 0; from < all.size(); from += batch) {
      List<Parameter> part = all.subList(from, Math.min(all.size(), from + batch));
      Session.Runner runner = session.runner();
      part.forEach(p -> runner.fetch(p.value()));
      try (var result = runner.run()) {
        for (int i = 0; i < part.size(); i++) {
          Parameter p = part.get(i);
          float[] data = new float[Math.toIntExact(p.size())];
          ((TFloat32) result.get(i)).copyTo(DataBuffers.of(data, false, false));
          out.put(p.path(), new HostArray(p.shape(), data));
        }
      }
    }
    return out;
  }

  private synchronized Loader loader(Parameter p) {
    return loaders.computeIfAbsent(
        p.path(),
        k -> {
          if (io == null) {
            // One scope for all loaders: opening a sub-scope scans every op name in the graph.
            io = tf.withSubScope("parameter_io");
          }
          Placeholder<TFloat32> in =
              io.placeholder(TFloat32.class, Placeholder.shape(Shape.of(p.shape())));
          return new Loader(in, io.assign(p.variable(), in));
        });
  }
}
