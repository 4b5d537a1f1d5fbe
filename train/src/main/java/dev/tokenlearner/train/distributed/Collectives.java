package dev.tokenlearner.train.distributed;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Builders of TensorFlow's collective ops across the replicas of a data-parallel run.
 *
 * <p>They use the raw V1 ops ({@code CollectiveReduce}, {@code CollectiveBcastSend/Recv}) through
 * the op builder: TensorFlow Java 1.1 wraps only the V3 reduce, whose communicator setup crashes
 * the JVM. Every replica must build the same collectives, with the same keys and shapes, in the
 * same order; each op gives up after {@code timeoutSeconds} instead of waiting forever for a
 * missing peer.
 */
public final class Collectives {

  /** Group of the per-step all-reduce. */
  static final long REDUCE_GROUP = 1;

  /** Group of the initial-weights broadcast. */
  static final long BROADCAST_GROUP = 2;

  /** Instance key of the first all-reduce of a graph; the next ones count up. */
  static final long REDUCE_INSTANCE = 1;

  /** First instance key of the broadcasts (one per variable). */
  static final long BROADCAST_INSTANCE_BASE = 1L << 30;

  private Collectives() {}

  /**
   * The mean over the replicas of several float tensors, packed: the values are flattened,
   * concatenated, reduced and split back. One packed all-reduce costs one round of messages instead
   * of one per tensor, and makes every consumer of a reduced value wait for all of them (so no
   * variable update races a gradient still being computed). Off NCCL, a pack larger than {@link
   * CollectiveSettings#chunkBytes} is reduced in chunks, each its own collective, all in flight at
   * once.
   *
   * <p>Shapes: any, the same on every replica; the results have the inputs' shapes.
   *
   * @param tf where to build the ops
   * @param values per-replica values, in the same order on every replica
   * @param groupSize number of replicas
   * @param instanceKeys gives each collective its key among the graph's collectives; the same
   *     sequence on every replica
   * @param settings timeout, chunk size and communication hint
   * @return the means, in order
   */
  public static List<Operand<TFloat32>> allReduceMean(
      Ops tf,
      List<Operand<TFloat32>> values,
      int groupSize,
      LongSupplier instanceKeys,
      CollectiveSettings settings) {
    if (values.isEmpty()) {
      return List.of();
    }
    Operand<TInt64> flat = tf.constant(new long[] {-1});
    List<Operand<TFloat32>> pieces = new ArrayList<>();
    List<Operand<TInt32>> sizes = new ArrayList<>();
    long total = 0;
    for (Operand<TFloat32> v : values) {
      pieces.add(tf.reshape(v, flat));
      sizes.add(tf.reshape(tf.size(v, TInt32.class), tf.constant(new int[] {1})));
      Shape s = v.shape();
      total = total < 0 || s.isUnknown() || s.hasUnknownDimension() ? -1 : total + s.size();
    }
    // Concat and SplitV need at least two pieces.
    Operand<TFloat32> packed =
        values.size() == 1 ? pieces.get(0) : tf.concat(pieces, tf.constant(0));
    Operand<TFloat32> reduced =
        !settings.nccl() && total > settings.chunkFloats()
            ? chunked(tf, packed, total, groupSize, instanceKeys, settings)
            : reduce(tf, packed, groupSize, instanceKeys.getAsLong(), settings);
    if (values.size() == 1) {
      return List.of(tf.reshape(reduced, tf.shape(values.get(0))));
    }
    List<Output<TFloat32>> split =
        tf.splitV(reduced, tf.concat(sizes, tf.constant(0)), tf.constant(0), (long) values.size())
            .output();
    List<Operand<TFloat32>> out = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      out.add(tf.reshape(split.get(i), tf.shape(values.get(i))));
    }
    return out;
  }

  /**
   * As {@link #allReduceMean}, with bfloat16 on the wire and float32 accumulation: each replica
   * rounds its packed values to bfloat16, all replicas gather everyone's (half the bytes of a
   * float32 ring for 2 replicas, the same for 4, more beyond), and each sums them in float32. TF's
   * ring would add in bfloat16 at every hop; the gather moves raw bits (two bfloat16 values bitcast
   * to one float32), so the only rounding is each replica's own values to bfloat16.
   *
   * @param tf where to build the ops
   * @param values per-replica values, in the same order on every replica
   * @param groupSize number of replicas
   * @param instanceKeys gives each collective its key; the same sequence on every replica
   * @param settings timeout, chunk size and communication hint
   * @return the means, in order, float32
   */
  public static List<Operand<TFloat32>> allReduceMeanBfloat16(
      Ops tf,
      List<Operand<TFloat32>> values,
      int groupSize,
      LongSupplier instanceKeys,
      CollectiveSettings settings) {
    if (values.isEmpty()) {
      return List.of();
    }
    Operand<TInt64> flat = tf.constant(new long[] {-1});
    List<Operand<TFloat32>> pieces = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    long total = 0;
    for (Operand<TFloat32> v : values) {
      Shape s = v.shape();
      if (s.isUnknown() || s.hasUnknownDimension()) {
        throw new IllegalArgumentException(
            "a bfloat16 all-reduce needs static shapes, " + v.op().name() + " has " + s);
      }
      pieces.add(tf.reshape(v, flat));
      sizes.add(s.size());
      total += s.size();
    }
    if (total % 2 == 1) {
      pieces.add(tf.zeros(tf.constant(new long[] {1}), TFloat32.class)); // bitcast needs pairs
    }
    Operand<TFloat32> packed =
        pieces.size() == 1 ? pieces.get(0) : tf.concat(pieces, tf.constant(0));
    long padded = total + total % 2;
    Operand<TFloat32> bits =
        tf.bitcast(
            tf.reshape(tf.dtypes.cast(packed, TBfloat16.class), tf.constant(new long[] {-1, 2})),
            TFloat32.class);
    Operation gather =
        tf.scope()
            .opBuilder("CollectiveGather", "all_gather_bfloat16")
            .addInput(bits.asOutput())
            .setAttr("group_size", (long) groupSize)
            .setAttr("group_key", REDUCE_GROUP)
            .setAttr("instance_key", instanceKeys.getAsLong())
            .setAttr("shape", Shape.of(padded / 2))
            .setAttr("communication_hint", settings.communicationHint())
            .setAttr("timeout_seconds", settings.timeoutSeconds())
            .build();
    Output<TFloat32> gathered = gather.output(0);
    Operand<TFloat32> all =
        tf.dtypes.cast(tf.bitcast(gathered, TBfloat16.class), TFloat32.class); // [n * padded/2, 2]
    Operand<TFloat32> mean =
        tf.math.div(
            tf.reduceSum(
                tf.reshape(all, tf.constant(new long[] {groupSize, padded})), tf.constant(0)),
            tf.constant((float) groupSize));
    List<Operand<TFloat32>> out = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < values.size(); i++) {
      Operand<TFloat32> part =
          tf.slice(mean, tf.constant(new long[] {offset}), tf.constant(new long[] {sizes.get(i)}));
      out.add(tf.reshape(part, tf.constant(values.get(i).shape().asArray())));
      offset += sizes.get(i);
    }
    return out;
  }

  /** A flat vector of {@code total} floats reduced in near-equal chunks, concatenated again. */
  private static Operand<TFloat32> chunked(
      Ops tf,
      Operand<TFloat32> packed,
      long total,
      int groupSize,
      LongSupplier instanceKeys,
      CollectiveSettings settings) {
    int chunks = Math.toIntExact((total + settings.chunkFloats() - 1) / settings.chunkFloats());
    long[] lengths = new long[chunks];
    for (int c = 0; c < chunks; c++) {
      lengths[c] = total / chunks + (c < total % chunks ? 1 : 0);
    }
    List<Output<TFloat32>> parts =
        tf.splitV(packed, tf.constant(lengths), tf.constant(0), (long) chunks).output();
    List<Operand<TFloat32>> reduced = new ArrayList<>();
    for (Output<TFloat32> part : parts) {
      reduced.add(reduce(tf, part, groupSize, instanceKeys.getAsLong(), settings));
    }
    return tf.concat(reduced, tf.constant(0));
  }

  /** One {@code CollectiveReduce}: the mean of a flat vector over the group. */
  private static Operand<TFloat32> reduce(
      Ops tf,
      Operand<TFloat32> input,
      int groupSize,
      long instanceKey,
      CollectiveSettings settings) {
    Operation reduce =
        tf.scope()
            .opBuilder("CollectiveReduce", "all_reduce_mean")
            .addInput(input.asOutput())
            .setAttr("group_size", (long) groupSize)
            .setAttr("group_key", REDUCE_GROUP)
            .setAttr("instance_key", instanceKey)
            .setAttr("merge_op", "Add")
            .setAttr("final_op", "Div")
            .setAttr("subdiv_offsets", new long[] {0})
            .setAttr("communication_hint", settings.communicationHint())
            .setAttr("timeout_seconds", settings.timeoutSeconds())
            .build();
    return reduce.output(0);
  }

  /**
   * An op that gives every replica the chief's values of some variables: the chief sends each
   * value, the others receive it and assign it to their own copy.
   *
   * @param tf where to build the ops
   * @param variables the variables, in the same order and with the same static shapes on every
   *     replica
   * @param rank this replica (0 sends)
   * @param groupSize number of replicas
   * @param timeoutSeconds how long each transfer waits for the others before failing
   * @return an op that finishes when all transfers of this replica are done
   */
  public static Op broadcastFromChief(
      Ops tf, List<Variable<TFloat32>> variables, int rank, int groupSize, float timeoutSeconds) {
    List<Op> done = new ArrayList<>();
    for (int j = 0; j < variables.size(); j++) {
      Variable<TFloat32> v = variables.get(j);
      org.tensorflow.ndarray.Shape shape = v.shape();
      if (shape.isUnknown() || shape.hasUnknownDimension()) {
        throw new IllegalArgumentException(
            "variable " + v.op().name() + " needs a static shape to be broadcast, has " + shape);
      }
      String name = "broadcast_" + j;
      Operation op;
      if (rank == 0) {
        op =
            tf.scope()
                .opBuilder("CollectiveBcastSend", name)
                .addInput(tf.identity(v).asOutput())
                .setAttr("group_size", (long) groupSize)
                .setAttr("group_key", BROADCAST_GROUP)
                .setAttr("instance_key", BROADCAST_INSTANCE_BASE + j)
                .setAttr("shape", shape)
                .setAttr("timeout_seconds", timeoutSeconds)
                .build();
        Output<TFloat32> sent = op.output(0);
        done.add(tf.identity(sent));
      } else {
        op =
            tf.scope()
                .opBuilder("CollectiveBcastRecv", name)
                .setAttr("T", DataType.DT_FLOAT)
                .setAttr("group_size", (long) groupSize)
                .setAttr("group_key", BROADCAST_GROUP)
                .setAttr("instance_key", BROADCAST_INSTANCE_BASE + j)
                .setAttr("shape", shape)
                .setAttr("timeout_seconds", timeoutSeconds)
                .build();
        Output<TFloat32> received = op.output(0);
        done.add(tf.assign(v, received));
      }
    }
    return tf.withControlDependencies(done).withName("broadcast_from_chief").noOp();
  }
}
