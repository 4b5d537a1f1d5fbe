package dev.tokenlearner.ops;

import dev.tokenlearner.core.HostArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.types.TFloat32;

/** Owns a graph, its parameter store and a session for one test; close it after use. */
public final class GraphFixture implements AutoCloseable {

  /** The graph everything is built into. */
  public final Graph graph = new Graph();

  /** Root ops of {@link #graph}. */
  public final Ops tf = PathScope.create(graph);

  /** The graph's parameters. */
  public final ParameterStore store = new ParameterStore(tf);

  /** The root of the parameter tree, without an rng key. */
  public final ModuleScope root = ModuleScope.root(store);

  private Session session;

  /**
   * Tests run each small graph only a few times, so Grappler's rewrites cost more than they save;
   * numerics are the same.
   */
  private static final ConfigProto TEST_SESSION =
      ConfigProto.newBuilder()
          .setGraphOptions(
              GraphOptions.newBuilder()
                  .setRewriteOptions(RewriterConfig.newBuilder().setDisableMetaOptimizer(true))
                  .setOptimizerOptions(
                      OptimizerOptions.newBuilder().setOptLevel(OptimizerOptions.Level.L0)))
          .build();

  /**
   * A float placeholder with a dynamic batch.
   *
   * @param name the op name
   * @param dims the dimensions after the batch
   * @return a placeholder of shape {@code [-1, dims...]}
   */
  public Placeholder<TFloat32> input(String name, long... dims) {
    long[] shape = new long[dims.length + 1];
    shape[0] = -1;
    System.arraycopy(dims, 0, shape, 1, dims.length);
    return placeholder(name, shape);
  }

  /**
   * A float placeholder of any static shape ({@code -1} for unknown dimensions).
   *
   * @param name the op name
   * @param shape the full shape
   * @return the placeholder
   */
  public Placeholder<TFloat32> placeholder(String name, long... shape) {
    return tf.withName(name).placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
  }

  /**
   * The session, created and initialised on first use.
   *
   * @return the session
   */
  public Session session() {
    if (session == null) {
      session = new Session(graph, TEST_SESSION);
      session.initialize();
    }
    return session;
  }

  /**
   * Assigns parameter values by path.
   *
   * @param values one value per parameter
   */
  public void load(Map<String, HostArray> values) {
    store.weights().load(session(), values);
  }

  /**
   * Loads {@link TestArrays#params random values} into every parameter.
   *
   * @param seed the seed
   * @return the values loaded, by path
   */
  public Map<String, HostArray> loadRandom(long seed) {
    Map<String, HostArray> values = TestArrays.params(store.shapes(), seed);
    load(values);
    return values;
  }

  /**
   * Runs {@code out} with the given feeds and copies the result to the host.
   *
   * @param out the output
   * @param feeds input values by placeholder
   * @return the output's value
   */
  public HostArray run(Operand<TFloat32> out, Map<Operand<TFloat32>, HostArray> feeds) {
    return runAll(List.of(out), feeds).get(0);
  }

  /**
   * Runs several outputs in one step and copies them to the host.
   *
   * @param outs the outputs; each must be a distinct tensor
   * @param feeds input values by placeholder
   * @return the outputs' values, in order
   */
  public List<HostArray> runAll(
      List<? extends Operand<TFloat32>> outs, Map<Operand<TFloat32>, HostArray> feeds) {
    List<Tensor> inputs = new ArrayList<>();
    try {
      Session.Runner r = session().runner();
      for (var e : feeds.entrySet()) {
        TFloat32 t = tensor(e.getValue());
        inputs.add(t);
        r.feed(e.getKey(), t);
      }
      outs.forEach(r::fetch);
      List<HostArray> values = new ArrayList<>();
      try (var result = r.run()) {
        for (int i = 0; i < outs.size(); i++) {
          values.add(copy((TFloat32) result.get(i)));
        }
      }
      return values;
    } finally {
      inputs.forEach(Tensor::close);
    }
  }

  /**
   * Copies a float tensor to the host.
   *
   * @param t the tensor (not closed here)
   * @return its shape and values
   */
  public static HostArray copy(TFloat32 t) {
    float[] data = new float[Math.toIntExact(t.shape().size())];
    t.copyTo(DataBuffers.of(data, false, false));
    return new HostArray(t.shape().asArray(), data);
  }

  /**
   * Copies a host array into a new tensor; the caller closes it.
   *
   * @param a the values
   * @return a new tensor
   */
  public static TFloat32 tensor(HostArray a) {
    return TFloat32.tensorOf(Shape.of(a.shape()), DataBuffers.of(a.data(), true, false));
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }
}
