import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Times one benchmark model built by two builds of the project in one JVM, run by run alternating,
 * so that a change of op forms is measured against the same load. Each build's project jars get
 * their own class loader over the shared TensorFlow classes.
 *
 * <pre>
 * java -cp "$(ls BASE/lib/*.jar | grep -v tokenlearner- | paste -sd:)" scripts/ab/AbJars.java \
 *     BASE/lib NEW/lib 'Ti/16 tl8@6' FORWARD|TRAIN_STEP BATCH WARMUP RUNS [xla]
 * </pre>
 */
public class AbJars {

  public static void main(String[] a) throws Exception {
    List<Path> libs = List.of(Path.of(a[0]), Path.of(a[1]));
    String config = a[2];
    String kind = a[3];
    int batch = Integer.parseInt(a[4]);
    int warmup = Integer.parseInt(a[5]);
    int runs = Integer.parseInt(a[6]);
    boolean xla = a.length > 7 && a[7].equals("xla");
    List<Object> runners = new ArrayList<>();
    List<Method> run = new ArrayList<>();
    try (TFloat32 x = images(batch);
        TInt32 y = TInt32.vectorOf(new int[batch])) {
      for (Path lib : libs) {
        URL[] jars;
        try (Stream<Path> files = Files.list(lib)) {
          jars =
              files
                  .filter(p -> p.getFileName().toString().startsWith("tokenlearner-"))
                  .map(AbJars::url)
                  .toArray(URL[]::new);
        }
        ClassLoader cl = new URLClassLoader(jars, AbJars.class.getClassLoader());
        Object cfg =
            cl.loadClass("dev.tokenlearner.bench.ProfileBench")
                .getMethod("config", String.class)
                .invoke(null, config);
        Class<?> mr = cl.loadClass("dev.tokenlearner.bench.ModelRunner");
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<Enum> kinds = (Class<Enum>) cl.loadClass("dev.tokenlearner.bench.ModelRunner$Kind");
        Class<?> ss = cl.loadClass("dev.tokenlearner.bench.SessionSettings");
        @SuppressWarnings("unchecked")
        Object k = Enum.valueOf(kinds, kind);
        runners.add(
            mr.getMethod("open", cfg.getClass(), kinds, ss, long.class, boolean.class)
                .invoke(null, cfg, k, ss.getMethod("defaults").invoke(null), 1L, xla));
        run.add(mr.getMethod("run", TFloat32.class, TInt32.class));
      }
      long[][] t = new long[2][runs];
      for (int i = -warmup; i < runs; i++) {
        for (int j = 0; j < 2; j++) {
          int side = (i & 1) == 0 ? j : 1 - j; // alternate who goes first
          long nanos = (long) run.get(side).invoke(runners.get(side), x, y);
          if (i >= 0) {
            t[side][i] = nanos;
          }
        }
      }
      double base = median(t[0]);
      double now = median(t[1]);
      System.out.printf(
          Locale.ROOT,
          "%s %s batch %d%s: %s %.1f ms, %s %.1f ms (medians of %d alternating runs): new/base time"
              + " %.3f, speedup %.3fx%n",
          config,
          kind,
          batch,
          xla ? " XLA" : "",
          a[0],
          base / 1e6,
          a[1],
          now / 1e6,
          runs,
          now / base,
          base / now);
      for (Object r : runners) {
        ((AutoCloseable) r).close();
      }
    }
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }

  private static TFloat32 images(int batch) {
    TFloat32 x = TFloat32.tensorOf(Shape.of(batch, 224, 224, 3));
    SplittableRandom rnd = new SplittableRandom(3);
    x.scalars().forEach(s -> s.setFloat((float) (rnd.nextDouble() * 2 - 1)));
    return x;
  }

  private static URL url(Path p) {
    try {
      return p.toUri().toURL();
    } catch (java.net.MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }
}
