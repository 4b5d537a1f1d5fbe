package dev.tokenlearner.ops;

import dev.tokenlearner.core.HostArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Reads and writes a set of float variables by key through a session: the model's parameters (keyed
 * by Flax path) and the optimizer's slots (keyed {@code <slot>/<path>}) alike.
 *
 * <p>Each variable's feed placeholder and assign op are added on its first assignment, named {@code
 * <io scope>/<key>/value} and {@code <io scope>/<key>/assign} through {@link PathScope}, so adding
 * them costs no scan of the graph.
 */
public final class WeightIo {

  private static final int FETCH_BATCH = 64;

  private record Entry(
      String key, long[] shape, Variable<TFloat32> variable, Operand<TFloat32> value) {}

  private record Loader(Placeholder<TFloat32> input, Assign<TFloat32> assign) {}

  private final Ops tf;
  private final String scope;
  private final String noun;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final Map<String, Loader> loaders = new LinkedHashMap<>();

  /**
   * An empty set.
   *
   * @param tf ops of the graph the variables live in (a {@link PathScope} is used either way)
   * @param scope the name prefix of the I/O ops, e.g. {@code parameter_io}
   * @param noun what a variable is called in messages, e.g. {@code parameter}
   */
  public WeightIo(Ops tf, String scope, String noun) {
    this.tf = PathScope.of(tf);
    this.scope = scope;
    this.noun = noun;
  }

  /**
   * Adds a variable.
   *
   * @param key its key (a '/'-joined path of valid TF names)
   * @param shape its shape
   * @param variable the variable
   * @param value its read
   * @throws IllegalStateException if the key is present already
   */
  public void add(String key, long[] shape, Variable<TFloat32> variable, Operand<TFloat32> value) {
    if (entries.putIfAbsent(key, new Entry(key, shape.clone(), variable, value)) != null) {
      throw new IllegalStateException(noun + " " + key + " is added twice");
    }
  }

  /** The keys, in the order added. */
  public List<String> keys() {
    return List.copyOf(entries.keySet());
  }

  /** Current values by key, in the order added. */
  public Map<String, HostArray> read(Session session) {
    Map<String, HostArray> out = new LinkedHashMap<>();
    List<Entry> all = List.copyOf(entries.values());
    for (int from = 0; from < all.size(); from += FETCH_BATCH) {
      List<Entry> part = all.subList(from, Math.min(all.size(), from + FETCH_BATCH));
      Session.Runner runner = session.runner();
      part.forEach(e -> runner.fetch(e.value()));
      try (var result = runner.run()) {
        for (int i = 0; i < part.size(); i++) {
          Entry e = part.get(i);
          float[] data = new float[Math.toIntExact(HostArray.numElements(e.shape()))];
          ((TFloat32) result.get(i)).copyTo(DataBuffers.of(data, false, false));
          out.put(e.key(), new HostArray(e.shape(), data));
        }
      }
    }
    return out;
  }

  /**
   * Runs the graph's variable initialisers, then {@linkplain #load loads} {@code values}, e.g. a
   * store's {@link ParameterStore#initialValues initial values}.
   *
   * @throws IllegalArgumentException naming each mismatch
   */
  public void initialize(Session session, Map<String, HostArray> values) {
    session.initialize();
    load(session, values);
  }

  /**
   * Assigns values to every variable. The map must name exactly this set's keys with their shapes;
   * otherwise nothing is assigned and the error lists every missing, unexpected and wrongly-shaped
   * key.
   *
   * @throws IllegalArgumentException naming each mismatch
   */
  public void load(Session session, Map<String, HostArray> values) {
    List<String> problems = new ArrayList<>();
    for (Entry e : entries.values()) {
      HostArray v = values.get(e.key());
      if (v == null) {
        problems.add("missing " + e.key() + " " + Arrays.toString(e.shape()));
      } else if (!Arrays.equals(v.shape(), e.shape())) {
        problems.add(
            "wrong shape "
                + e.key()
                + ": expected "
                + Arrays.toString(e.shape())
                + ", found "
                + v.shapeString());
      }
    }
    for (String k : values.keySet()) {
      if (!entries.containsKey(k)) {
        problems.add("unexpected " + k + " " + values.get(k).shapeString());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          problems.size() + " " + noun + " mismatch(es):\n  " + String.join("\n  ", problems));
    }
    assign(session, values);
  }

  /**
   * Assigns the given values (a subset is fine).
   *
   * @throws IllegalArgumentException if a key is unknown or a shape differs
   */
  public void assign(Session session, Map<String, HostArray> values) {
    List<Tensor> inputs = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Map.Entry<String, HostArray> kv : values.entrySet()) {
        Entry e = entries.get(kv.getKey());
        if (e == null) {
          throw new IllegalArgumentException("no " + noun + " " + kv.getKey());
        }
        HostArray v = kv.getValue();
        if (!Arrays.equals(v.shape(), e.shape())) {
          throw new IllegalArgumentException(
              e.key() + ": expected " + Arrays.toString(e.shape()) + ", found " + v.shapeString());
        }
        Loader loader = loader(e);
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

  private synchronized Loader loader(Entry e) {
    return loaders.computeIfAbsent(
        e.key(),
        k -> {
          Ops io = PathScope.at(tf, scope + "/" + k);
          Placeholder<TFloat32> in =
              io.withName("value")
                  .placeholder(TFloat32.class, Placeholder.shape(Shape.of(e.shape())));
          return new Loader(in, io.withName("assign").assign(e.variable(), in));
        });
  }
}
