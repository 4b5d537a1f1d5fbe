import dev.tokenlearner.bench.BenchConfig;
import dev.tokenlearner.bench.Interleaved;
import dev.tokenlearner.bench.ModelRunner;
import dev.tokenlearner.bench.SessionSettings;
import dev.tokenlearner.config.ViTSize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * TokenLearner's forward speedup over plain Ti/16 (batch 8, 224²), plain graph and XLA-compiled
 * (what serving runs by default), all runners interleaved round by round in one JVM. Divide by the
 * FLOP ratio `bench --quick` prints for the config.
 *
 * <pre>
 * java -cp "$(ls cli/target/lib/*.jar | paste -sd:)" scripts/ab/TokenLearnerXlaSpeedup.java REPS
 * </pre>
 */
public class TokenLearnerXlaSpeedup {
  public static void main(String[] a) throws Exception {
    int reps = Integer.parseInt(a[0]);
    List<BenchConfig> cs =
        List.of(
            BenchConfig.plain(ViTSize.TI, 16, 224),
            BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 16, 9, false),
            BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 16, 9, true),
            BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 8, 6, true));
    SplittableRandom r = new SplittableRandom(3);
    float[] data = new float[8 * 224 * 224 * 3];
    for (int i = 0; i < data.length; i++) data[i] = (float) r.nextDouble(-1, 1);
    List<ModelRunner> runners = new ArrayList<>();
    try (TFloat32 x = TFloat32.tensorOf(Shape.of(8, 224, 224, 3), DataBuffers.of(data))) {
      for (boolean xla : new boolean[] {false, true}) {
        for (BenchConfig c : cs) {
          runners.add(ModelRunner.open(c, ModelRunner.Kind.FORWARD, SessionSettings.defaults(), 1L, xla));
        }
      }
      List<Interleaved.Timed> tasks = new ArrayList<>();
      for (ModelRunner m : runners) tasks.add(() -> m.run(x, null));
      double[][] ms = Interleaved.measure(tasks, 2, reps);
      for (int mode = 0; mode < 2; mode++) {
        double plain = med(ms[mode * cs.size()]);
        for (int i = 0; i < cs.size(); i++) {
          double t = med(ms[mode * cs.size() + i]);
          System.out.printf(Locale.ROOT, "%s %-22s %.1f ms, speedup %.3f%n", mode == 0 ? "graph" : "xla  ", cs.get(i).name(), t, plain / t);
        }
      }
    } finally {
      for (ModelRunner m : runners) m.close();
    }
  }

  static double med(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
