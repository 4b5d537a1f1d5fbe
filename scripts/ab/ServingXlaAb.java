import dev.tokenlearner.bench.BenchConfig;
import dev.tokenlearner.bench.ModelRunner;
import dev.tokenlearner.bench.SessionSettings;
import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * Times the serving path (ServingModel, as predict, serve and TokenLearnerPredictor run it) plain
 * against XLA-compiled, batch by batch alternating in one JVM: Ti/16 and Ti/16 tl8@6 at 224², random
 * weights, exported to a temporary SavedModel; with {@code bench}, the bench's own forward graphs
 * (ModelRunner, plain and XLA) join the alternation as a reference.
 *
 * <pre>
 * java -cp "$(ls cli/target/lib/*.jar | paste -sd:)" \
 *     scripts/ab/ServingXlaAb.java BATCH RUNS [float|bytes] [bench]
 * </pre>
 */
public class ServingXlaAb {

  public static void main(String[] a) throws Exception {
    int batch = Integer.parseInt(a[0]);
    int runs = Integer.parseInt(a[1]);
    boolean bytes = a.length > 2 && a[2].equals("bytes");
    boolean bench = a.length > 3 && a[3].equals("bench");
    for (BenchConfig c :
        List.of(
            BenchConfig.plain(ViTSize.TI, 16, 224),
            BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 8, 6, false))) {
      Path dir = Files.createTempDirectory("serving-ab").resolve("m");
      SavedModelExporter.of(ExportSpec.of(c.model(), c.input()))
          .export(
              dir,
              (s, store) -> {
                s.initialize();
                store.weights().load(s, store.initialValues(0));
              });
      SplittableRandom r = new SplittableRandom(1);
      float[] data = new float[batch * 224 * 224 * 3];
      for (int i = 0; i < data.length; i++) {
        data[i] = (float) r.nextDouble(-1, 1);
      }
      HostArray images = new HostArray(new long[] {batch, 224, 224, 3}, data);
      List<byte[]> files = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        files.add(jpeg(r));
      }
      try (ServingModel plain = ServingModel.load(dir, batch, false);
          ServingModel xla = ServingModel.load(dir, batch, true);
          TFloat32 t = TFloat32.tensorOf(Shape.of(batch, 224, 224, 3), DataBuffers.of(data));
          ModelRunner bp =
              bench
                  ? ModelRunner.open(
                      c, ModelRunner.Kind.FORWARD, SessionSettings.defaults(), 0, false)
                  : null;
          ModelRunner bx =
              bench
                  ? ModelRunner.open(c, ModelRunner.Kind.FORWARD, SessionSettings.defaults(), 0, true)
                  : null) {
        if (bench) {
          bp.run(t, null);
          bx.run(t, null);
        }
        double[] tbp = new double[runs];
        double[] tbx = new double[runs];
        long t0 = System.nanoTime();
        HostArray p = run(plain, bytes, images, files);
        long t1 = System.nanoTime();
        HostArray x = run(xla, bytes, images, files);
        long t2 = System.nanoTime();
        System.out.printf(
            Locale.ROOT,
            "%s first call: plain %.0f ms, XLA %.0f ms (compiles); max |diff| %.2e%n",
            c.name(),
            (t1 - t0) / 1e6,
            (t2 - t1) / 1e6,
            p.maxAbsDiff(x));
        double[] tp = new double[runs];
        double[] tx = new double[runs];
        for (int i = 0; i < runs; i++) {
          // Alternate which goes first, so a load change hits both alike.
          boolean plainFirst = i % 2 == 0;
          for (int k = 0; k < 2; k++) {
            boolean isPlain = (k == 0) == plainFirst;
            long s = System.nanoTime();
            run(isPlain ? plain : xla, bytes, images, files);
            (isPlain ? tp : tx)[i] = (System.nanoTime() - s) / 1e6;
          }
          if (bench) {
            tbp[i] = bp.run(t, null) / 1e6;
            tbx[i] = bx.run(t, null) / 1e6;
          }
        }
        double mp = median(tp);
        double mx = median(tx);
        System.out.printf(
            Locale.ROOT,
            "%s batch %d %s: plain %.1f ms, XLA %.1f ms (medians of %d), XLA speed-up %.2fx%n",
            c.name(),
            batch,
            bytes ? "serving_bytes (JPEG)" : "serving_default",
            mp,
            mx,
            runs,
            mp / mx);
        if (bench) {
          System.out.printf(
              Locale.ROOT,
              "%s batch %d bench ModelRunner (session run only): plain %.1f ms, XLA %.1f ms%n",
              c.name(),
              batch,
              median(tbp),
              median(tbx));
        }
      }
    }
  }

  private static HostArray run(ServingModel m, boolean bytes, HostArray images, List<byte[]> f) {
    return bytes
        ? m.runEncoded(Signatures.SERVING_BYTES, f).get(Signatures.LOGITS)
        : m.run(Signatures.SERVING_DEFAULT, images);
  }

  private static byte[] jpeg(SplittableRandom r) throws Exception {
    BufferedImage img = new BufferedImage(320, 256, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpg", out);
    return out.toByteArray();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
