package dev.tokenlearner.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM killed with SIGKILL at random points while it writes a SavedModel (by export or by {@code
 * import}) never costs the previous model: afterwards the target loads and holds either the old or
 * the new weights, and no non-hidden directory holds a partial SavedModel. Leftovers of the killed
 * writer are cleaned up by the next export.
 */
class ExportCrashSafetyTest {

  private static final int EXPORT_KILLS = 4;
  private static final int IMPORT_KILLS = 2;

  /** Kill points are drawn uniformly from this window after the child is ready. */
  private static final int MAX_DELAY_MS = 3000;

  private static final double TOLERANCE = 1e-6;

  private static HostArray input;

  @BeforeAll
  static void readInput() throws IOException {
    input = Npy.read(Fixtures.set(ExportLoopMain.SET).resolve("input.npy"));
  }

  @Test
  void export_killedAtRandomPoints_previousModelSurvives(@TempDir Path tmp) throws Exception {
    Path target = tmp.resolve("model");
    Path shifted = tmp.resolve("reference").resolve("shifted");
    ExportLoopMain.exporter().export(shifted, ExportLoopMain.weights(ExportLoopMain.HEAD_SHIFT));
    ExportLoopMain.exporter().export(target, ExportLoopMain.weights(0));
    List<HostArray> allowed = List.of(logits(target), logits(shifted));
    killRepeatedly("export", target, allowed, EXPORT_KILLS, new Random(14));
  }

  @Test
  void import_killedAtRandomPoints_previousModelSurvives(@TempDir Path tmp) throws Exception {
    Path target = tmp.resolve("model");
    ExportLoopMain.exporter().export(target, ExportLoopMain.weights(0));
    List<HostArray> allowed = List.of(logits(target));
    killRepeatedly("import", target, allowed, IMPORT_KILLS, new Random(15));
  }

  private static void killRepeatedly(
      String mode, Path target, List<HostArray> allowed, int kills, Random random)
      throws Exception {
    List<String> report = new ArrayList<>();
    for (int k = 0; k < kills; k++) {
      int delay = random.nextInt(MAX_DELAY_MS);
      int committed = runAndKill(mode, target, delay);
      assertNoPartialModel(target);
      boolean movedAside = !Files.exists(target);
      HostArray got = logits(target); // a load restores a target moved aside by the killed writer
      assertTrue(
          allowed.stream().anyMatch(a -> close(a, got)),
          mode + " killed after " + delay + " ms: the model holds neither the old nor new weights");
      report.add(delay + "ms/" + committed + " commits" + (movedAside ? "/restored" : ""));
    }
    // The next export deletes whatever the killed writers left behind.
    ExportLoopMain.exporter().export(target, ExportLoopMain.weights(0));
    try (Stream<Path> s = Files.list(target.getParent())) {
      assertEquals(
          List.of(target.getFileName().toString()),
          s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("reference")).toList());
    }
    System.out.println(mode + " kill points (delay/commits before kill): " + report);
  }

  /** Starts a writer loop, kills it {@code delayMs} after it is ready; returns its commit count. */
  private static int runAndKill(String mode, Path target, int delayMs) throws Exception {
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx1g",
            "-cp",
            System.getProperty("java.class.path"),
            "-Dtokenlearner.testdata=" + System.getProperty("tokenlearner.testdata", "../testdata"),
            ExportLoopMain.class.getName(),
            mode,
            target.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (IOException ignored) {
                // the stream ends when the child is killed
              }
            });
    pump.start();
    try {
      List<String> seen = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (!seen.contains("ready")) {
        String line = lines.poll(1, TimeUnit.SECONDS);
        if (line != null) {
          seen.add(line);
        } else if ((!p.isAlive() && lines.isEmpty()) || System.nanoTime() > deadline) {
          fail("writer did not get ready; output: " + seen);
        }
      }
      Thread.sleep(delayMs);
      if (!p.isAlive()) {
        pump.join();
        fail("writer exited on its own: " + lines);
      }
    } finally {
      p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks in the child
      p.waitFor(1, TimeUnit.MINUTES);
      pump.join(TimeUnit.MINUTES.toMillis(1));
    }
    return (int) lines.stream().filter(l -> l.startsWith("committed ")).count();
  }

  /** Only the target (if present) and hidden leftovers lie beside it; the target is complete. */
  private static void assertNoPartialModel(Path target) throws IOException {
    String name = target.getFileName().toString();
    try (Stream<Path> s = Files.list(target.getParent())) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (n.equals("reference")) {
          continue;
        }
        if (n.equals(name)) {
          assertTrue(Files.isRegularFile(p.resolve("saved_model.pb")), "target without pb");
          assertTrue(
              Files.isRegularFile(p.resolve("assets.extra").resolve("tokenlearner_config.yaml")),
              "target without its stored config");
        } else {
          assertTrue(
              n.startsWith("." + name + ".tmp-") || n.startsWith("." + name + ".old-"),
              "unexpected entry beside the target: " + n);
        }
      }
    }
  }

  private static HostArray logits(Path model) throws IOException {
    try (ServingModel m = ServingModel.load(model)) {
      return m.run(Signatures.SERVING_DEFAULT, input);
    }
  }

  private static boolean close(HostArray a, HostArray b) {
    if (a.data().length != b.data().length) {
      return false;
    }
    for (int i = 0; i < a.data().length; i++) {
      if (Math.abs(a.data()[i] - b.data()[i]) > TOLERANCE) {
        return false;
      }
    }
    return true;
  }
}
