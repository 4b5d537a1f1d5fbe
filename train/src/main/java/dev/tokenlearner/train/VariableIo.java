package dev.tokenlearner.train;

import dev.tokenlearner.ops.HostArray;
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
 * Reads and assigns float variables that are not model parameters (optimizer slots) by key, with
 * one placeholder and assign op per variable built up front.
 */
final class VariableIo {

  private record Entry(
      long[] shape,
      Operand<TFloat32> value,
      Placeholder<TFloat32> input,
      Assign<TFloat32> assign) {}

  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /**
   * Adds a variable.
   *
   * @param tf ops of the graph (the io ops go to a {@code variable_io} scope)
   * @param key the variable's key
   * @param shape its shape
   * @param variable the variable
   * @param value its read
   */
  void add(Ops tf, String key, long[] shape, Variable<TFloat32> variable, Operand<TFloat32> value) {
    Ops io = tf.withSubScope("variable_io");
    Placeholder<TFloat32> in = io.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
    entries.put(key, new Entry(shape.clone(), value, in, io.assign(variable, in)));
  }

  /** Current values by key, in the order added. */
  Map<String, HostArray> read(Session session) {
    Map<String, HostArray> out = new LinkedHashMap<>();
    List<String> keys = new ArrayList<>(entries.keySet());
    int batch = 64;
    for (int from = 0; from < keys.size(); from += batch) {
      List<String> part = keys.subList(from, Math.min(keys.size(), from + batch));
      Session.Runner r = session.runner();
      part.forEach(k -> r.fetch(entries.get(k).value()));
      try (var result = r.run()) {
        for (int i = 0; i < part.size(); i++) {
          Entry e = entries.get(part.get(i));
          float[] data = new float[Math.toIntExact(HostArray.numElements(e.shape()))];
          ((TFloat32) result.get(i)).copyTo(DataBuffers.of(data, false, false));
          out.put(part.get(i), new HostArray(e.shape(), data));
        }
      }
    }
    return out;
  }

  /**
   * Assigns values; the map must name exactly this set's keys with their shapes.
   *
   * @throws IllegalArgumentException listing missing, unexpected and wrongly shaped keys
   */
  void assign(Session session, Map<String, HostArray> values) {
    List<String> problems = new ArrayList<>();
    entries.forEach(
        (k, e) -> {
          HostArray v = values.get(k);
          if (v == null) {
            problems.add("missing " + k);
          } else if (!Arrays.equals(v.shape(), e.shape())) {
            problems.add(
                "wrong shape "
                    + k
                    + ": expected "
                    + Arrays.toString(e.shape())
                    + ", found "
                    + v.shapeString());
          }
        });
    values.keySet().stream()
        .filter(k -> !entries.containsKey(k))
        .forEach(k -> problems.add("unexpected " + k));
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          problems.size() + " optimizer slot mismatch(es):\n  " + String.join("\n  ", problems));
    }
    List<Tensor> inputs = new ArrayList<>();
    try {
      Session.Runner r = session.runner();
      entries.forEach(
          (k, e) -> {
            HostArray v = values.get(k);
            TFloat32 t =
                TFloat32.tensorOf(Shape.of(v.shape()), DataBuffers.of(v.data(), true, false));
            inputs.add(t);
            r.feed(e.input(), t).addTarget(e.assign());
          });
      if (!inputs.isEmpty()) {
        r.run().close();
      }
    } finally {
      inputs.forEach(Tensor::close);
    }
  }
}
