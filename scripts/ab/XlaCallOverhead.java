import dev.tokenlearner.bench.Interleaved;
import dev.tokenlearner.graph.XlaFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/** Fixed cost of one compiled call as our forward makes it: the image and 199 variable reads in, a tiny computation, an [8, 1000] result out (xla_call_overhead.py: the same in Python TF). No args. */
public class XlaCallOverhead {
  public static void main(String[] a) {
    try (Graph g = new Graph(); TFloat32 x = TFloat32.tensorOf(Shape.of(8, 224, 224, 3))) {
      Ops tf = Ops.create(g);
      var img = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(8, 224, 224, 3)));
      List<Operand<?>> in = new ArrayList<>();
      in.add(img);
      List<org.tensorflow.op.Op> inits = new ArrayList<>();
      Operand<TFloat32> acc = tf.fill(tf.constant(new long[] {8, 1000}), tf.constant(0f));
      for (int i = 0; i < 199; i++) {
        Variable<TFloat32> v = tf.variable(Shape.of(192), TFloat32.class);
        inits.add(tf.assign(v, tf.fill(tf.constant(new long[] {192}), tf.constant(0.001f * i))));
        Operand<TFloat32> rd = tf.identity(v);
        in.add(rd);
        acc = tf.math.add(acc, tf.reduceSum(rd, tf.constant(0)));
      }
      acc = tf.math.add(acc, tf.reshape(tf.slice(img, tf.constant(new long[] {0, 0, 0, 0}), tf.constant(new long[] {8, 1, 1, 1})), tf.constant(new long[] {8, 1})));
      Output<?> out = XlaFunction.call(tf.scope(), "tiny", in, List.of(acc)).get(0);
      try (Session s = new Session(g)) {
        Session.Runner init = s.runner();
        inits.forEach(init::addTarget);
        init.run();
        Interleaved.Timed t = () -> { Session.Runner r = s.runner().feed(img, x).fetch(out); long t0 = System.nanoTime(); try (Result res = r.run()) { return System.nanoTime() - t0; } };
        double[][] ms = Interleaved.measure(List.of(t), 20, 301);
        double[] v = ms[0].clone(); Arrays.sort(v);
        System.out.printf("RESULT java218 compiled call, 200 inputs, tiny body: median %.3f ms p10 %.3f%n", v[150], v[30]);
      }
    }
  }
}
