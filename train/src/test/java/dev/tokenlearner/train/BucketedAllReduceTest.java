package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

class BucketedAllReduceTest {

  /**
   * A replication whose "mean" is the value times the bucket's index + 1, recording each bucket's
   * element count: that tells, after the pieces are put back, which bucket carried each element.
   */
  private static final class Recording extends LocalReplication {
    final List<Long> bucketFloats = new ArrayList<>();

    Recording() {
      super(2, "recording");
    }

    @Override
    public List<Operand<TFloat32>> allReduceMean(Ops tf, List<Operand<TFloat32>> values) {
      long n = 0;
      for (Operand<TFloat32> v : values) {
        n += v.shape().size();
      }
      bucketFloats.add(n);
      Operand<TFloat32> factor = tf.constant((float) bucketFloats.size());
      return values.stream().map(v -> (Operand<TFloat32>) tf.math.mul(v, factor)).toList();
    }
  }

  @Test
  void allReduceMean_bucketsOf4Floats_slicesTensorsAcrossBucketsInOrder() {
    // 3 + 10 + 1 + 6 = 20 floats, buckets of 4: [a a a b] [b b b b] [b b b b] [b c d d] [d d d d].
    Shape[] shapes = {Shape.of(3), Shape.of(2, 5), Shape.scalar(), Shape.of(2, 3)};
    Random random = new Random(3);
    List<float[]> inputs = new ArrayList<>();
    Recording r = new Recording();
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      List<Operand<TFloat32>> values = new ArrayList<>();
      for (Shape shape : shapes) {
        float[] x = new float[(int) shape.size()];
        for (int i = 0; i < x.length; i++) {
          x[i] = random.nextFloat();
        }
        inputs.add(x);
        values.add(tf.reshape(tf.constant(x), tf.constant(shape.asArray())));
      }

      List<Operand<TFloat32>> out = new BucketedAllReduce(r, 16).allReduceMean(tf, values);

      assertEquals(List.of(4L, 4L, 4L, 4L, 4L), r.bucketFloats);
      int[][] bucketOf = {{1, 1, 1}, {1, 2, 2, 2, 2, 3, 3, 3, 3, 4}, {4}, {4, 4, 5, 5, 5, 5}};
      var runner = s.runner();
      for (Operand<TFloat32> o : out) {
        runner.fetch(o).fetch(tf.reshape(o, tf.constant(new int[] {-1})));
      }
      try (Result res = runner.run()) {
        for (int t = 0; t < shapes.length; t++) {
          assertEquals(shapes[t], res.get(2 * t).shape());
          TFloat32 got = (TFloat32) res.get(2 * t + 1);
          float[] flat = new float[(int) shapes[t].size()];
          for (int i = 0; i < flat.length; i++) {
            flat[i] = got.getFloat(i);
          }
          float[] want = new float[flat.length];
          for (int i = 0; i < want.length; i++) {
            want[i] = inputs.get(t)[i] * bucketOf[t][i];
          }
          assertArrayEquals(want, flat, 0f, "tensor " + t);
        }
      }
    }
  }

  @Test
  void allReduceMean_oneBigBucket_oneCallWithEveryTensorWhole() {
    Recording r = new Recording();
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      List<Operand<TFloat32>> values =
          List.of(tf.constant(new float[] {1, 2}), tf.constant(3f), tf.constant(new float[4][5]));

      new BucketedAllReduce(r, BucketedAllReduce.DEFAULT_BUCKET_BYTES).allReduceMean(tf, values);

      assertEquals(List.of(23L), r.bucketFloats);
    }
  }
}
