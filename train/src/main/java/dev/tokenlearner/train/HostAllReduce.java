package dev.tokenlearner.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.SplitV;
import org.tensorflow.types.TFloat32;

/**
 * The replicas' mean of loss, correct count and gradients by the host-side ring ({@code
 * allreduce_impl: ring}) instead of collective ops in the graph: the step becomes two session runs.
 * The first computes the gradients and fetches them with loss and count as one flat float32 vector;
 * the ring ({@link Replication#connectRing}) averages it in host memory; the second run feeds the
 * mean into a placeholder, from which the graph splits the values again for the global norm,
 * clipping and the update.
 *
 * <p>Why: on CPUs TensorFlow's gRPC collectives copy every message several times; the ring writes
 * the vector to a TCP socket as is. The vector lives in one reused heap array, as TensorFlow copies
 * a tensor to and from a heap array with one memcpy.
 *
 * <p>With {@code bfloat16} the gradients travel as bfloat16 and the loss and count as float32, as
 * in the collective path (bfloat16 would round what the step reports).
 */
final class HostAllReduce implements AutoCloseable {

  private static final int METRICS = 2;

  private final Replication replication;
  private final boolean bfloat16;
  private Operand<TFloat32> packed;
  private Placeholder<TFloat32> mean;
  private long floats;
  private Replication.HostRing ring;
  private byte[] array;
  private ByteBuffer whole;
  private ByteBuffer metrics;
  private ByteBuffer gradients;
  private TFloat32 fed;

  /**
   * @param replication the replica whose ring averages the vector
   * @param bfloat16 send the gradients as bfloat16 ({@code allreduce_dtype: bfloat16})
   */
  HostAllReduce(Replication replication, boolean bfloat16) {
    this.replication = replication;
    this.bfloat16 = bfloat16;
  }

  /**
   * Builds the packing of the per-replica values and the unpacking of their fed mean.
   *
   * @param r where to build the ops
   * @param v this replica's loss, correct count and gradients (static shapes)
   * @return the means, read from the fed vector
   * @throws IllegalStateException if a gradient's shape is not static
   */
  GradientPipeline.Values build(Ops r, GradientPipeline.Values v) {
    List<Operand<TFloat32>> parts = new ArrayList<>();
    parts.add(r.reshape(v.loss(), r.constant(new long[] {1})));
    parts.add(r.reshape(v.correct(), r.constant(new long[] {1})));
    List<Shape> shapes = new ArrayList<>();
    long[] sizes = new long[METRICS + v.gradients().size()];
    sizes[0] = 1;
    sizes[1] = 1;
    long total = METRICS;
    for (int i = 0; i < v.gradients().size(); i++) {
      Operand<TFloat32> g = v.gradients().get(i);
      Shape s = g.shape();
      if (s.isUnknown() || s.hasUnknownDimension()) {
        throw new IllegalStateException(
            "allreduce_impl: ring needs static gradient shapes; gradient " + i + " has " + s);
      }
      shapes.add(s);
      sizes[METRICS + i] = s.size();
      total += s.size();
      parts.add(r.reshape(g, r.constant(new long[] {-1})));
    }
    if (total > Integer.MAX_VALUE / Float.BYTES) {
      throw new IllegalStateException(
          "allreduce_impl: ring holds the gradients in one array; "
              + total
              + " floats is too many");
    }
    floats = total;
    packed = r.withName("packed").concat(parts, r.constant(0));
    mean = r.withName("mean").placeholder(TFloat32.class, Placeholder.shape(Shape.of(total)));
    SplitV<TFloat32> split = r.splitV(mean, r.constant(sizes), r.constant(0), (long) sizes.length);
    long[] scalar = new long[0];
    List<Operand<TFloat32>> grads = new ArrayList<>();
    for (int i = 0; i < shapes.size(); i++) {
      grads.add(r.reshape(split.output().get(METRICS + i), r.constant(shapes.get(i).asArray())));
    }
    return new GradientPipeline.Values(
        r.reshape(split.output().get(0), r.constant(scalar)),
        r.reshape(split.output().get(1), r.constant(scalar)),
        grads);
  }

  /**
   * Connects the ring and allocates the host vector; call after {@link #build}, on every replica.
   */
  void connect() {
    int bytes = Math.toIntExact(floats * Float.BYTES);
    array = new byte[bytes];
    whole = ByteBuffer.wrap(array).order(ByteOrder.LITTLE_ENDIAN);
    metrics =
        ByteBuffer.wrap(array, 0, METRICS * Float.BYTES).slice().order(ByteOrder.LITTLE_ENDIAN);
    gradients =
        ByteBuffer.wrap(array, METRICS * Float.BYTES, bytes - METRICS * Float.BYTES)
            .slice()
            .order(ByteOrder.LITTLE_ENDIAN);
    fed = TFloat32.tensorOf(Shape.of(floats));
    ring = replication.connectRing();
  }

  /**
   * Runs the gradients ({@code compute} with the step's feeds), averages them over the replicas and
   * returns a runner of {@code session} with the mean fed, for the update.
   *
   * @param compute the step's runner with its feeds, nothing fetched yet
   * @param session the step's session
   * @return a new runner with the mean fed
   */
  Session.Runner reduce(Session.Runner compute, Session session) {
    long bytes = (long) array.length;
    try (Result r = compute.fetch(packed).run()) {
      ((TFloat32) r.get(0)).asRawTensor().data().copyTo(DataBuffers.of(array, false, false), bytes);
    }
    if (bfloat16) {
      ring.allReduceMean(metrics, false);
      ring.allReduceMean(gradients, true);
    } else {
      ring.allReduceMean(whole, false);
    }
    DataBuffers.of(array, true, false).copyTo(fed.asRawTensor().data(), bytes);
    return session.runner().feed(mean, fed);
  }

  @Override
  public void close() {
    try {
      if (ring != null) {
        ring.close();
      }
    } finally {
      if (fed != null) {
        fed.close();
      }
    }
  }
}
