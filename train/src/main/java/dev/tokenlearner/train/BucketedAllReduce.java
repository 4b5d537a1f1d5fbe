package dev.tokenlearner.train;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The mean over the replicas of many float tensors, in buckets of about {@code bucketBytes}: the
 * tensors, in the given order, are laid end to end and cut into buckets; each bucket is one {@link
 * Replication#allReduceMean} of its pieces. A tensor larger than what is left of a bucket is sliced
 * across buckets and put together again afterwards.
 *
 * <p>Why buckets: a bucket's all-reduce depends only on its own tensors, so when the caller lists
 * gradients in the order the backward pass produces them (last layer first), communication of the
 * first buckets runs while earlier layers still compute; and several all-reduces in flight use the
 * transport better than one huge one. Tensors without a static shape get a bucket of their own.
 */
public final class BucketedAllReduce {

  /** The default bucket size, in bytes of float32 values. */
  public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

  private final Replication replication;
  private final long bucketFloats;
  private final boolean bfloat16;

  /**
   * @param replication the replicas to average over
   * @param bucketBytes target bytes per bucket (float32), at least 4
   */
  public BucketedAllReduce(Replication replication, long bucketBytes) {
    this(replication, bucketBytes, false);
  }

  /**
   * @param replication the replicas to average over
   * @param bucketBytes target bytes per bucket (float32), at least 4
   * @param bfloat16 send bfloat16 and sum in float32 ({@link Replication#allReduceMeanBfloat16})
   */
  public BucketedAllReduce(Replication replication, long bucketBytes, boolean bfloat16) {
    if (bucketBytes < Float.BYTES) {
      throw new IllegalArgumentException("bucket must hold a float, got " + bucketBytes + " bytes");
    }
    this.replication = replication;
    this.bucketFloats = bucketBytes / Float.BYTES;
    this.bfloat16 = bfloat16;
  }

  /** A run of one tensor's flattened elements inside a bucket. */
  private record Piece(int tensor, Operand<TFloat32> values) {}

  /**
   * The means, in order and with the inputs' shapes.
   *
   * @param tf where to build the ops
   * @param values per-replica values, the same shapes in the same order on every replica
   * @return the means
   */
  public List<Operand<TFloat32>> allReduceMean(Ops tf, List<Operand<TFloat32>> values) {
    List<List<Piece>> buckets = buckets(tf, values);
    List<List<Operand<TFloat32>>> parts = new ArrayList<>();
    values.forEach(v -> parts.add(new ArrayList<>()));
    for (List<Piece> bucket : buckets) {
      List<Operand<TFloat32>> pieces = bucket.stream().map(Piece::values).toList();
      List<Operand<TFloat32>> mean =
          bfloat16
              ? replication.allReduceMeanBfloat16(tf, pieces)
              : replication.allReduceMean(tf, pieces);
      for (int i = 0; i < bucket.size(); i++) {
        parts.get(bucket.get(i).tensor()).add(mean.get(i));
      }
    }
    List<Operand<TFloat32>> out = new ArrayList<>();
    for (int t = 0; t < values.size(); t++) {
      List<Operand<TFloat32>> p = parts.get(t);
      Operand<TFloat32> v = values.get(t);
      if (p.size() == 1 && p.get(0) == v) {
        out.add(v); // one replica: the identity
      } else if (p.size() == 1) {
        out.add(tf.reshape(p.get(0), tf.shape(v)));
      } else {
        out.add(tf.reshape(tf.concat(p, tf.constant(0)), tf.shape(v)));
      }
    }
    return out;
  }

  private List<List<Piece>> buckets(Ops tf, List<Operand<TFloat32>> values) {
    List<List<Piece>> buckets = new ArrayList<>();
    List<Piece> current = new ArrayList<>();
    long filled = 0;
    for (int t = 0; t < values.size(); t++) {
      Operand<TFloat32> v = values.get(t);
      Shape s = v.shape();
      if (s.isUnknown() || s.hasUnknownDimension()) {
        if (!current.isEmpty()) {
          buckets.add(current);
          current = new ArrayList<>();
          filled = 0;
        }
        buckets.add(List.of(new Piece(t, v)));
        continue;
      }
      long size = s.size();
      if (size <= bucketFloats - filled) {
        current.add(new Piece(t, v)); // whole: the all-reduce flattens it
        filled += size;
      } else {
        Operand<TFloat32> flat = tf.reshape(v, tf.constant(new long[] {-1}));
        for (long offset = 0; offset < size; ) {
          long take = Math.min(size - offset, bucketFloats - filled);
          current.add(
              new Piece(
                  t,
                  tf.slice(
                      flat, tf.constant(new long[] {offset}), tf.constant(new long[] {take}))));
          filled += take;
          offset += take;
          if (filled == bucketFloats) {
            buckets.add(current);
            current = new ArrayList<>();
            filled = 0;
          }
        }
        continue;
      }
      if (filled == bucketFloats) {
        buckets.add(current);
        current = new ArrayList<>();
        filled = 0;
      }
    }
    if (!current.isEmpty()) {
      buckets.add(current);
    }
    return buckets;
  }
}
