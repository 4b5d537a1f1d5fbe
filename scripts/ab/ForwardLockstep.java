import dev.tokenlearner.bench.BenchConfig;
import dev.tokenlearner.bench.ModelRunner;
import dev.tokenlearner.bench.SessionSettings;
import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.graph.XlaFunction;
import java.io.BufferedReader;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;

/**
 * The Java (TF 2.18 XLA) half of forward_lockstep.py: our compiled forward of Ti/16 and Ti/16 tl8@6
 * (batch 8) and Python's forward graph of the same models (GraphDef written by forward_lockstep.py,
 * weights as parameters) compiled by the same runtime. One run per token: it waits for a line on
 * IN, runs its next item, prints the time and writes a line to OUT, so it and the Python process
 * never run at the same time and alternate item by item. "export W" writes the two models (random
 * weights of seed 0) as SavedModels to W/export/ti and W/export/tl8at6 for the Python half.
 *
 * <pre>
 * java -cp "$(ls cli/target/lib/*.jar | paste -sd:)" scripts/ab/ForwardLockstep.java export W
 * java -cp "$(ls cli/target/lib/*.jar | paste -sd:)" scripts/ab/ForwardLockstep.java PYGRAPH_TI PYGRAPH_TL REPS IN OUT
 * </pre>
 */
public class ForwardLockstep {
  public static void main(String[] a) throws Exception {
    if (a[0].equals("export")) {
      export(Path.of(a[1], "export"));
      return;
    }
    int reps = Integer.parseInt(a[2]);
    SplittableRandom r = new SplittableRandom(3);
    float[] data = new float[8 * 224 * 224 * 3];
    for (int i = 0; i < data.length; i++) data[i] = (float) r.nextDouble(-1, 1);
    List<AutoCloseable> open = new ArrayList<>();
    try (TFloat32 x = TFloat32.tensorOf(Shape.of(8, 224, 224, 3), DataBuffers.of(data))) {
      List<String> names = List.of("ours_ti", "ours_tl", "pygraph_ti", "pygraph_tl");
      List<LongSupplier> items = new ArrayList<>();
      for (BenchConfig c :
          List.of(BenchConfig.plain(ViTSize.TI, 16, 224), BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 8, 6, false))) {
        ModelRunner m = ModelRunner.open(c, ModelRunner.Kind.FORWARD, SessionSettings.defaults(), 1L, true);
        open.add(m);
        items.add(() -> m.run(x, null));
      }
      items.add(pythonGraph(Path.of(a[0]), x, open));
      items.add(pythonGraph(Path.of(a[1]), x, open));
      for (int w = 0; w < 2; w++) items.forEach(LongSupplier::getAsLong);
      double[][] ms = new double[items.size()][reps];
      try (BufferedReader in = new BufferedReader(new FileReader(a[3]));
          PrintWriter out = new PrintWriter(new FileWriter(a[4]), true)) {
        for (int rep = 0; rep < reps; rep++) {
          for (int i = 0; i < items.size(); i++) {
            in.readLine();
            ms[i][rep] = items.get(i).getAsLong() / 1e6;
            out.println("go");
          }
        }
      }
      for (int i = 0; i < items.size(); i++) {
        double[] s = ms[i].clone();
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "JAVA218 %s median %.1f ms min %.1f all %s%n", names.get(i), s[s.length / 2], s[0], Arrays.toString(ms[i]));
      }
    } finally {
      for (AutoCloseable c : open) c.close();
    }
  }

  static void export(Path dir) throws Exception {
    List<BenchConfig> cs =
        List.of(BenchConfig.plain(ViTSize.TI, 16, 224), BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 8, 6, false));
    List<String> names = List.of("ti", "tl8at6");
    for (int i = 0; i < cs.size(); i++) {
      BenchConfig c = cs.get(i);
      SavedModelExporter.of(ExportSpec.of(c.model(), c.input()))
          .export(dir.resolve(names.get(i)), (s, store) -> {
            s.initialize();
            store.weights().load(s, store.initialValues(0));
          });
      System.out.println("exported " + c.name() + " to " + dir.resolve(names.get(i)));
    }
  }

  /** Python's forward graph compiled by this runtime, weights fed as parameters on every run. */
  static LongSupplier pythonGraph(Path dir, TFloat32 x, List<AutoCloseable> open) throws Exception {
    List<String> manifest = Files.readAllLines(dir.resolve("manifest.txt")).stream().filter(s -> !s.isBlank()).toList();
    List<String> io = Files.readAllLines(dir.resolve("io.txt"));
    Graph g = new Graph();
    open.add(g);
    g.importGraphDef(GraphDef.parseFrom(Files.readAllBytes(dir.resolve("graph.pb"))));
    Ops tf = Ops.create(g);
    List<Operand<?>> in = new ArrayList<>();
    in.add(g.operation(io.get(0)).output(0));
    List<TFloat32> ws = new ArrayList<>();
    for (int i = 0; i < manifest.size(); i++) {
      String[] p = manifest.get(i).split(" ");
      in.add(g.operation(p[0]).output(0));
      long[] dims = Arrays.stream(p).skip(1).mapToLong(Long::parseLong).toArray();
      byte[] raw = Files.readAllBytes(dir.resolve("w_" + i + ".f32"));
      float[] f = new float[raw.length / 4];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
      TFloat32 t = TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(f));
      open.add(t);
      ws.add(t);
    }
    Output<?> out =
        XlaFunction.call(tf.scope(), "py_forward", in, List.of(g.operation(io.get(1).split(":")[0]).output(0))).get(0);
    Session s = new Session(g);
    open.add(0, s);
    return () -> {
      Session.Runner run = s.runner().feed(in.get(0), x);
      for (int i = 0; i < ws.size(); i++) run.feed(in.get(i + 1), ws.get(i));
      run.fetch(out);
      long t0 = System.nanoTime();
      try (Result res = run.run()) {
        return System.nanoTime() - t0;
      }
    };
  }
}
