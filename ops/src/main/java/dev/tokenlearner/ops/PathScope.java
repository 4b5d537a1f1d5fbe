package dev.tokenlearner.ops;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.DeviceSpec;
import org.tensorflow.ExecutionEnvironment;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.OperationBuilder;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;

/**
 * The project's TF {@link Scope}: op names are made unique through one table of used names per
 * graph, so graph building is linear in the number of ops.
 *
 * <p>TF Java's own scope rescans every op of the graph each time a sub-scope is opened ({@code
 * withSubScope}), which makes building a model with one sub-scope per module quadratic. This scope
 * gives the same names ({@code Add}, {@code Add_1}, sub-scope {@code train_1} when {@code train} is
 * taken) from a table shared by all scopes of one graph. Every name handed out is also checked
 * against the graph once, so ops that other code added (gradients built by {@code Gradients.create}
 * under a prefix this scope handed out, custom-gradient callbacks, another {@code Ops}) never
 * collide with its names.
 *
 * <p>{@link #at(Ops, String)} enters a '/'-joined path as it is, without making its components
 * unique: the one place where Flax paths become TF name prefixes (model parameters, optimizer slots
 * and weight I/O alike).
 *
 * <p>Like TF's scopes, a {@code PathScope} is not thread-safe: build a graph from one thread.
 */
public final class PathScope implements Scope {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9.][A-Za-z0-9_.\\-]*");

  /** Names handed out in one graph: full name to the next suffix to try. */
  private static final class NameTable {
    private final Graph graph;
    private final Map<String, Integer> next = new HashMap<>();

    NameTable(Graph graph) {
      this.graph = graph;
    }

    /** {@code base}, or {@code base_n} with the smallest free n, unique under {@code prefix}. */
    String unique(String prefix, String base) {
      String full = qualify(prefix, base);
      Integer n = next.get(full);
      if (n == null && graph.operation(full) == null) {
        next.put(full, 1);
        return base;
      }
      int k = n == null ? 1 : n;
      while (true) {
        String candidate = base + "_" + k++;
        String candidateFull = qualify(prefix, candidate);
        if (!next.containsKey(candidateFull) && graph.operation(candidateFull) == null) {
          next.put(full, k);
          next.put(candidateFull, 1);
          return candidate;
        }
      }
    }

    /** Marks a path's components as used, so that auto-named ops do not take them. */
    void reserve(String path) {
      int slash = path.indexOf('/');
      while (slash >= 0) {
        next.putIfAbsent(path.substring(0, slash), 1);
        slash = path.indexOf('/', slash + 1);
      }
      next.putIfAbsent(path, 1);
    }
  }

  private final Graph graph;
  private final NameTable names;
  private final String prefix;
  private final String opName;
  private final DeviceSpec device;
  private final List<Operation> controls;
  private final boolean init;

  private PathScope(
      Graph graph,
      NameTable names,
      String prefix,
      String opName,
      DeviceSpec device,
      List<Operation> controls,
      boolean init) {
    this.graph = graph;
    this.names = names;
    this.prefix = prefix;
    this.opName = opName;
    this.device = device;
    this.controls = controls;
    this.init = init;
  }

  /**
   * Root ops of {@code graph} named through a fresh name table. Names already in the graph are
   * respected (each is looked up once, when first wanted).
   */
  public static Ops create(Graph graph) {
    return ops(
        new PathScope(
            graph,
            new NameTable(graph),
            "",
            null,
            DeviceSpec.newBuilder().build(),
            List.of(),
            false));
  }

  /**
   * {@code tf} itself when it is built on a {@code PathScope}, otherwise root ops of the same graph
   * named through a fresh table.
   *
   * @throws IllegalArgumentException if {@code tf} does not build into a {@link Graph}
   */
  public static Ops of(Ops tf) {
    if (tf.scope() instanceof PathScope) {
      return tf;
    }
    if (!(tf.scope().env() instanceof Graph g)) {
      throw new IllegalArgumentException(
          "a PathScope builds into a Graph, not " + tf.scope().env());
    }
    return create(g);
  }

  /**
   * Ops whose name prefix is {@code path} below {@code tf}'s prefix, taken as it is (its components
   * are not made unique); ops created there are still unique.
   *
   * @param tf ops built on a {@code PathScope}
   * @param path a '/'-joined path of valid names, e.g. {@code opt_state/mu/Transformer/Dense_0}
   * @throws IllegalArgumentException if {@code tf} is not built on a {@code PathScope} or a
   *     component is not a valid TF name
   */
  public static Ops at(Ops tf, String path) {
    if (!(tf.scope() instanceof PathScope s)) {
      throw new IllegalArgumentException("Ops not built on a PathScope: " + tf.scope());
    }
    return ops(s.atPath(path));
  }

  private PathScope atPath(String path) {
    for (String part : path.split("/", -1)) {
      checkName(part);
    }
    String full = qualify(prefix, path);
    names.reserve(full);
    return new PathScope(graph, names, full, null, device, controls, init);
  }

  /** This scope's name prefix ({@code ""} at the root). */
  public String prefix() {
    return prefix;
  }

  @Override
  public ExecutionEnvironment env() {
    return graph;
  }

  @Override
  public PathScope withSubScope(String childScopeName) {
    checkName(childScopeName);
    String name = opName != null ? opName : childScopeName;
    String full = qualify(prefix, names.unique(prefix, name));
    return new PathScope(graph, names, full, null, device, controls, init);
  }

  @Override
  public PathScope withName(String name) {
    checkName(name);
    return new PathScope(graph, names, prefix, name, device, controls, init);
  }

  @Override
  public PathScope withNameAsSubScope(String defaultName) {
    String full = makeOpName(defaultName);
    return new PathScope(graph, names, full, null, device, controls, init);
  }

  @Override
  public PathScope withDevice(DeviceSpec deviceSpec) {
    return new PathScope(graph, names, prefix, opName, deviceSpec, controls, init);
  }

  @Override
  public PathScope withInitScope() {
    return new PathScope(graph, names, prefix, opName, device, List.of(), true);
  }

  @Override
  public String makeOpName(String defaultName) {
    checkName(defaultName);
    String name = opName != null ? opName : defaultName;
    return qualify(prefix, names.unique(prefix, name));
  }

  @Override
  public String makeUnique(String id) {
    return names.unique(prefix, id);
  }

  /** Nothing to refresh: every name is checked against the graph when it is handed out. */
  @Override
  public void refreshNames() {}

  @Override
  public Scope withControlDependencyOps(Iterable<Operation> ops) {
    List<Operation> kept = new ArrayList<>();
    for (Operation op : ops) {
      graph.checkInput(op);
      boolean initOp = graph.isInitializer(op);
      if (init && !initOp) {
        throw new IllegalArgumentException(
            "an init scope cannot depend on non-init op " + op.name());
      }
      // Like TF's OpScope: init ops run before everything else, so they are not dependencies.
      if (init || !initOp) {
        kept.add(op);
      }
    }
    return new PathScope(graph, names, prefix, opName, device, List.copyOf(kept), init);
  }

  @Override
  public OperationBuilder apply(OperationBuilder builder) {
    builder.setDevice(device.toString());
    for (Operation control : controls) {
      if (init || !graph.isInitializer(control)) {
        builder.addControlInput(control);
      }
    }
    return builder;
  }

  @Override
  public String getDeviceString() {
    return device.toString();
  }

  @Override
  public boolean isInit() {
    return init;
  }

  @Override
  public String toString() {
    return "PathScope[" + (prefix.isEmpty() ? "<root>" : prefix) + "]";
  }

  private static String qualify(String prefix, String name) {
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  private static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid TF name '" + name + "': expected " + NAME.pattern());
    }
  }

  /** Ops on {@code scope}; TF Java creates {@code Ops} only from an environment's base scope. */
  private static Ops ops(PathScope scope) {
    return Ops.create(new BaseScope(scope));
  }

  /** An environment whose base scope is the given scope; used only to construct {@link Ops}. */
  private record BaseScope(PathScope scope) implements ExecutionEnvironment {
    @Override
    public Scope baseScope() {
      return scope;
    }

    @Override
    public OperationBuilder opBuilder(String type, String name, Scope s) {
      return scope.graph.opBuilder(type, name, s);
    }

    @Override
    public void attachFunction(ConcreteFunction function) {
      scope.graph.attachFunction(function);
    }

    @Override
    public void checkInput(Operation input) {
      scope.graph.checkInput(input);
    }

    @Override
    public Types environmentType() {
      return scope.graph.environmentType();
    }

    @Override
    public boolean isInitializer(Operation op) {
      return scope.graph.isInitializer(op);
    }
  }

  /** Op names of a graph, for tests and diagnostics. */
  static List<String> opNames(Graph graph) {
    List<String> out = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      out.add(it.next().name());
    }
    return out;
  }
}
