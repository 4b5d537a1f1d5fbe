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
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;

/** 25 LayerNorms on [8,196,192] and 12 softmaxes on [8,3,196,196]: reductions as Mean/Max/Sum vs row sums as a MatMul with ones, each XLA-compiled, alternating in one JVM. Args: REPS ln|sm. */
public class ReductionMatMulAb {
  static Operand<TFloat32> ln(Ops tf, Operand<TFloat32> x, boolean dot) {
    Operand<TFloat32> mean, meanSq;
    if (dot) {
      Operand<TFloat32> ones = tf.fill(tf.constant(new long[] {192, 1}), tf.constant(1f / 192));
      Operand<TFloat32> flat = tf.reshape(x, tf.constant(new long[] {-1, 192}));
      mean = tf.reshape(tf.linalg.matMul(flat, ones), tf.constant(new long[] {8, 196, 1}));
      meanSq = tf.reshape(tf.linalg.matMul(tf.math.mul(flat, flat), ones), tf.constant(new long[] {8, 196, 1}));
    } else {
      mean = tf.math.mean(x, tf.constant(-1), Mean.keepDims(true));
      meanSq = tf.math.mean(tf.math.mul(x, x), tf.constant(-1), Mean.keepDims(true));
    }
    Operand<TFloat32> var = tf.math.maximum(tf.constant(0f), tf.math.sub(meanSq, tf.math.mul(mean, mean)));
    return tf.math.mul(tf.math.sub(x, mean), tf.math.rsqrt(tf.math.add(var, tf.constant(1e-6f))));
  }
  public static void main(String[] a) throws Exception {
    int reps = Integer.parseInt(a[0]);
    String what = a[1];
    SplittableRandom r = new SplittableRandom(3);
    long[] shp = what.equals("ln") ? new long[] {8, 196, 192} : new long[] {8, 3, 196, 196};
    int n = (int) Arrays.stream(shp).reduce(1, (p, q) -> p * q);
    float[] data = new float[n];
    for (int i = 0; i < n; i++) data[i] = (float) r.nextDouble(-1, 1);
    try (Graph g = new Graph(); TFloat32 x = TFloat32.tensorOf(Shape.of(shp), DataBuffers.of(data))) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> in = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shp)));
      Output<?>[] outs = new Output<?>[2];
      for (int form = 0; form < 2; form++) {
        Operand<TFloat32> y = in;
        for (int i = 0; i < (what.equals("ln") ? 25 : 12); i++) {
          if (what.equals("ln")) {
            y = tf.math.add(ln(tf, y, form == 1), tf.math.mul(y, tf.constant(0.5f)));
          } else if (form == 0) {
            y = tf.math.add(tf.nn.softmax(y), y);
          } else {
            Operand<TFloat32> e = tf.math.exp(tf.math.sub(y, tf.reduceMax(y, tf.constant(-1), org.tensorflow.op.core.ReduceMax.keepDims(true))));
            Operand<TFloat32> ones = tf.fill(tf.constant(new long[] {196, 1}), tf.constant(1f));
            Operand<TFloat32> sum = tf.reshape(tf.linalg.matMul(tf.reshape(e, tf.constant(new long[] {-1, 196})), ones), tf.constant(new long[] {8, 3, 196, 1}));
            y = tf.math.add(tf.math.div(e, sum), y);
          }
        }
        outs[form] = XlaFunction.call(tf.scope(), "f" + form, List.of(in), List.of(y)).get(0);
      }
      try (Session s = new Session(g)) {
        Interleaved.Timed[] t = new Interleaved.Timed[2];
        for (int f = 0; f < 2; f++) {
          Output<?> o = outs[f];
          t[f] = () -> { Session.Runner run = s.runner().feed(in, x).fetch(o); long t0 = System.nanoTime(); try (Result res = run.run()) { return System.nanoTime() - t0; } };
        }
        try (Result r0 = s.runner().feed(in, x).fetch(outs[0]).fetch(outs[1]).run()) {
          float[] v0 = new float[n], v1 = new float[n];
          ((TFloat32) r0.get(0)).asRawTensor().data().asFloats().read(v0);
          ((TFloat32) r0.get(1)).asRawTensor().data().asFloats().read(v1);
          double md = 0; for (int i = 0; i < n; i++) md = Math.max(md, Math.abs(v0[i] - v1[i]));
          System.out.println("max diff " + md);
        }
        double[][] ms = Interleaved.measure(List.of(t[0], t[1]), 3, reps);
        System.out.printf("RESULT %s reduce %.3f ms, matmul %.3f ms%n", what, med(ms[0]), med(ms[1]));
      }
    }
  }
  static double med(double[] v) { double[] s = v.clone(); Arrays.sort(s); int n = s.length; return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; }
}
