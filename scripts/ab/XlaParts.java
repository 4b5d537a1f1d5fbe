import dev.tokenlearner.graph.XlaFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TFloat32;

/**
 * The parts of a Ti/16 forward at batch 8, each repeated as often as the model has it and compiled
 * by TF Java's XLA (TF 2.18): 25 LayerNorms on [8,196,192], 12 softmaxes on [8,3,196,196], the 72
 * dense MatMuls of the blocks, 12 exact GELUs on [1568,768] and the 24 attention batch MatMuls.
 * xla_parts.py times the same parts in Python TF's XLA; run the two one after the other.
 *
 * <pre>
 * java -cp "$(ls cli/target/lib/*.jar | paste -sd:)" scripts/ab/XlaParts.java REPS
 * </pre>
 */
public class XlaParts {
  static final SplittableRandom R = new SplittableRandom(3);
  static TFloat32 rnd(float scale, long... s) {
    int n = (int) Arrays.stream(s).reduce(1, (p, q) -> p * q);
    float[] d = new float[n];
    for (int i = 0; i < n; i++) d[i] = (float) R.nextDouble(-1, 1) * scale;
    return TFloat32.tensorOf(Shape.of(s), DataBuffers.of(d));
  }
  static Operand<TFloat32> ln(Ops tf, Operand<TFloat32> x) {
    Operand<TFloat32> m = tf.math.mean(x, tf.constant(-1), Mean.keepDims(true));
    Operand<TFloat32> m2 = tf.math.mean(tf.math.mul(x, x), tf.constant(-1), Mean.keepDims(true));
    Operand<TFloat32> var = tf.math.maximum(tf.constant(0f), tf.math.sub(m2, tf.math.mul(m, m)));
    return tf.math.mul(tf.math.sub(x, m), tf.math.rsqrt(tf.math.add(var, tf.constant(1e-6f))));
  }
  public static void main(String[] a) throws Exception {
    int reps = Integer.parseInt(a[0]);
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Map<String, List<Placeholder<TFloat32>>> ins = new LinkedHashMap<>();
      Map<String, List<TFloat32>> vals = new LinkedHashMap<>();
      Map<String, Output<?>> outs = new LinkedHashMap<>();
      // ln
      var x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(8, 196, 192)));
      Operand<TFloat32> y = x;
      for (int i = 0; i < 25; i++) y = tf.math.add(ln(tf, y), tf.math.mul(tf.constant(0.5f), y));
      ins.put("ln", List.of(x)); vals.put("ln", List.of(rnd(1, 8, 196, 192))); outs.put("ln", XlaFunction.call(tf.scope(), "ln", List.of(x), List.of(y)).get(0));
      // softmax
      var s = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(8, 3, 196, 196)));
      y = s;
      for (int i = 0; i < 12; i++) y = tf.math.add(tf.nn.softmax(y), y);
      ins.put("softmax", List.of(s)); vals.put("softmax", List.of(rnd(1, 8, 3, 196, 196))); outs.put("softmax", XlaFunction.call(tf.scope(), "sm", List.of(s), List.of(y)).get(0));
      // dense
      var d = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(1568, 192)));
      var w1 = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(192, 768)));
      var w2 = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(768, 192)));
      var wq = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(192, 192)));
      y = d;
      for (int i = 0; i < 12; i++) {
        for (int j = 0; j < 4; j++) y = tf.math.add(tf.linalg.matMul(y, wq), y);
        y = tf.math.add(tf.linalg.matMul(tf.linalg.matMul(y, w1), w2), y);
      }
      ins.put("dense", List.of(d, w1, w2, wq)); vals.put("dense", List.of(rnd(1, 1568, 192), rnd(0.05f, 192, 768), rnd(0.05f, 768, 192), rnd(0.05f, 192, 192)));
      outs.put("dense", XlaFunction.call(tf.scope(), "dense", List.of(d, w1, w2, wq), List.of(y)).get(0));
      // gelu exact
      var ge = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(1568, 768)));
      y = ge;
      for (int i = 0; i < 12; i++) {
        Operand<TFloat32> gl = tf.math.mul(tf.math.mul(tf.constant(0.5f), y), tf.math.add(tf.constant(1f), tf.math.erf(tf.math.mul(y, tf.constant((float) (1 / Math.sqrt(2)))))));
        y = tf.math.add(gl, tf.math.mul(tf.constant(0.5f), y));
      }
      ins.put("gelu", List.of(ge)); vals.put("gelu", List.of(rnd(1, 1568, 768))); outs.put("gelu", XlaFunction.call(tf.scope(), "gelu", List.of(ge), List.of(y)).get(0));
      // attention
      var q = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(8, 3, 196, 64)));
      var k = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(8, 3, 196, 64)));
      var v = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(8, 3, 196, 64)));
      y = q;
      for (int i = 0; i < 12; i++) {
        Operand<TFloat32> sc = tf.train.batchMatMul(y, k, TFloat32.class, BatchMatMul.adjY(true));
        y = tf.math.add(tf.math.mul(tf.train.batchMatMul(sc, v, TFloat32.class), tf.constant(0.01f)), y);
      }
      ins.put("attention", List.of(q, k, v)); vals.put("attention", List.of(rnd(1, 8, 3, 196, 64), rnd(1, 8, 3, 196, 64), rnd(1, 8, 3, 196, 64)));
      outs.put("attention", XlaFunction.call(tf.scope(), "att", List.of(q, k, v), List.of(y)).get(0));
      try (Session sess = new Session(g)) {
        Map<String, List<Double>> t = new LinkedHashMap<>();
        for (int r = -3; r < reps; r++) {
          for (String key : outs.keySet()) {
            Session.Runner run = sess.runner();
            for (int i = 0; i < ins.get(key).size(); i++) run.feed(ins.get(key).get(i), vals.get(key).get(i));
            run.fetch(outs.get(key));
            long t0 = System.nanoTime();
            try (Result res = run.run()) {}
            if (r >= 0) t.computeIfAbsent(key, kk -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
          }
        }
        StringBuilder sb = new StringBuilder("RESULT java218");
        t.forEach((key, l) -> { double[] dd = l.stream().mapToDouble(Double::doubleValue).sorted().toArray(); sb.append(String.format(" %s %.2f", key, dd[dd.length / 2])); });
        System.out.println(sb);
      }
    }
  }
}
