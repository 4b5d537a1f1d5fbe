import dev.tokenlearner.bench.Interleaved;
import dev.tokenlearner.graph.XlaFunction;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.ReduceMax;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TFloat32;

/** 12 attention cores (scores, softmax, weighted sum) on [8,3,196,64]: keys on the last axis vs keys on axis 2. XLA, one JVM, alternating. Args: REPS. */
public class AttentionLayoutAb {
  public static void main(String[] a) throws Exception {
    int reps = Integer.parseInt(a[0]);
    SplittableRandom r = new SplittableRandom(3);
    long[] shp = {8, 3, 196, 64};
    int n = 8 * 3 * 196 * 64;
    TFloat32[] vals = new TFloat32[3];
    for (int j = 0; j < 3; j++) { float[] d = new float[n]; for (int i = 0; i < n; i++) d[i] = (float) r.nextDouble(-1, 1); vals[j] = TFloat32.tensorOf(Shape.of(shp), DataBuffers.of(d)); }
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var q = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shp)));
      var k = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shp)));
      var v = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shp)));
      Output<?>[] outs = new Output<?>[2];
      for (int form = 0; form < 2; form++) {
        Operand<TFloat32> y = q;
        for (int i = 0; i < 12; i++) {
          Operand<TFloat32> o;
          if (form == 0) {
            Operand<TFloat32> s = tf.train.batchMatMul(y, k, TFloat32.class, BatchMatMul.adjY(true));
            o = tf.train.batchMatMul(tf.nn.softmax(s), v, TFloat32.class);
          } else {
            Operand<TFloat32> s = tf.train.batchMatMul(k, y, TFloat32.class, BatchMatMul.adjY(true)); // [b,h,k,q]
            Operand<TFloat32> e = tf.math.exp(tf.math.sub(s, tf.reduceMax(s, tf.constant(-2), ReduceMax.keepDims(true))));
            Operand<TFloat32> p = tf.math.div(e, tf.reduceSum(e, tf.constant(-2), ReduceSum.keepDims(true)));
            o = tf.train.batchMatMul(p, v, TFloat32.class, BatchMatMul.adjX(true));
          }
          y = tf.math.add(tf.math.mul(o, tf.constant(0.5f)), y);
        }
        outs[form] = XlaFunction.call(tf.scope(), "f" + form, List.of(q, k, v), List.of(y)).get(0);
      }
      try (Session s = new Session(g)) {
        Interleaved.Timed[] t = new Interleaved.Timed[2];
        for (int f = 0; f < 2; f++) {
          Output<?> o = outs[f];
          t[f] = () -> { Session.Runner run = s.runner().feed(q, vals[0]).feed(k, vals[1]).feed(v, vals[2]).fetch(o); long t0 = System.nanoTime(); try (Result res = run.run()) { return System.nanoTime() - t0; } };
        }
        try (Result r0 = s.runner().feed(q, vals[0]).feed(k, vals[1]).feed(v, vals[2]).fetch(outs[0]).fetch(outs[1]).run()) {
          float[] v0 = new float[n], v1 = new float[n];
          ((TFloat32) r0.get(0)).asRawTensor().data().asFloats().read(v0);
          ((TFloat32) r0.get(1)).asRawTensor().data().asFloats().read(v1);
          double md = 0; for (int i = 0; i < n; i++) md = Math.max(md, Math.abs(v0[i] - v1[i]));
          System.out.println("max diff " + md);
        }
        double[][] ms = Interleaved.measure(List.of(t[0], t[1]), 3, reps);
        System.out.printf("RESULT attention keys-last %.2f ms, keys-axis-2 %.2f ms%n", med(ms[0]), med(ms[1]));
      }
    }
  }
  static double med(double[] v) { double[] s = v.clone(); Arrays.sort(s); int n = s.length; return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; }
}
