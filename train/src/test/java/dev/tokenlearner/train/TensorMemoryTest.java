package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

class TensorMemoryTest {

  @Test
  void viewReadsAndWritesTheTensorsOwnMemory() {
    try (TFloat32 t = TFloat32.vectorOf(1f, 2f, 3f)) {
      ByteBuffer view = TensorMemory.of(t);
      assertTrue(view.isDirect());
      assertEquals(12, view.limit());
      FloatBuffer f = view.asFloatBuffer();
      assertEquals(2f, f.get(1));
      f.put(2, -7.5f);
      assertEquals(-7.5f, t.getFloat(2));
    }
  }

  @Test
  void aFetchedTensorChangedInPlaceIsFedBackAsChanged() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(4)));
      var doubled = tf.math.mul(x, tf.constant(2f));
      var plusOne = tf.math.add(x, tf.constant(1f));
      try (Session s = new Session(g);
          TFloat32 in = TFloat32.vectorOf(1f, 2f, 3f, 4f);
          Result first = s.runner().feed(x, in).fetch(doubled).run()) {
        TFloat32 fetched = (TFloat32) first.get(0);
        FloatBuffer view = TensorMemory.of(fetched).asFloatBuffer();
        for (int i = 0; i < 4; i++) {
          view.put(i, view.get(i) * 10f);
        }
        try (Result second = s.runner().feed(x, fetched).fetch(plusOne).run()) {
          float[] out = new float[4];
          TFloat32 r = (TFloat32) second.get(0);
          for (int i = 0; i < 4; i++) {
            out[i] = r.getFloat(i);
          }
          assertArrayEquals(new float[] {21f, 41f, 61f, 81f}, out);
        }
      }
    }
  }
}
