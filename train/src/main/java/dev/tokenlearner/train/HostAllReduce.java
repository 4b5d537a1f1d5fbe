package dev.tokenlearner.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
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
 * the fetched vector's memory to a TCP socket as is, sums into it in place, and the same tensor is
 * fed to the second run.
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
  private Replication.HostRing ring;
  private Result pending;

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
          "allreduce_impl: ring all-reduces the gradients as one vector of at most 2^31 bytes; "
              + total
              + " floats is too many");
    }
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

  /** Connects the ring; call after {@link #build}, on every replica. */
  void connect() {
    ring = replication.connectRing();
  }

  /**
   * Runs the gradients ({@code compute} with the step's feeds), averages them over the replicas and
   * returns a runner of {@code session} with the mean fed, for the update. The ring sums in the
   * fetched tensor's own memory and the same tensor is fed back ({@link TensorMemory}): no copy
   * through a Java array. That tensor stays open until {@link #release}.
   *
   * @param compute the step's runner with its feeds, nothing fetched yet
   * @param session the step's session
   * @return a new runner with the mean fed
   */
  Session.Runner reduce(Session.Runner compute, Session session) {
    release();
    pending = compute.fetch(packed).run();
    TFloat32 vector = (TFloat32) pending.get(0);
    ByteBuffer whole = TensorMemory.of(vector);
    if (bfloat16) {
      int split = METRICS * Float.BYTES;
      ring.allReduceMean(
          whole.duplicate().limit(split).slice().order(ByteOrder.LITTLE_ENDIAN), false);
      ring.allReduceMean(
          whole.duplicate().position(split).slice().order(ByteOrder.LITTLE_ENDIAN), true);
    } else {
      ring.allReduceMean(whole, false);
    }
    return session.runner().feed(mean, vector);
  }

  /** Closes the step's fetched vector once the update that was fed it has run. */
  void release() {
    if (pending != null) {
      pending.close();
      pending = null;
    }
  }

  @Override
  public void close() {
    try {
      if (ring != null) {
        ring.close();
      }
    } finally {
      release();
    }
  }
}
