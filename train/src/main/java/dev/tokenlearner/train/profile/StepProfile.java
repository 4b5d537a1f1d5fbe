package dev.tokenlearner.train.profile;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;

/**
 * The traced steps of one graph: per-op times summed by op type and by node, the host time per step
 * outside {@code Session.run}, and a Chrome trace ({@code chrome://tracing}, Perfetto).
 *
 * <p>Op times are TensorFlow's own (start of the op to the end of its outputs, per thread); ops run
 * in parallel, so their sum exceeds the step's wall time. Op types are those of the kernels that
 * ran, after TensorFlow's graph optimizer ({@code _FusedMatMul} where it fused a MatMul with its
 * BiasAdd).
 */
public final class StepProfile {

  /** One op type or node with its time summed over the profiled steps. */
  public record OpTime(String name, String type, long micros, long count) {}

  private record Step(RunTrace trace, long hostNanos) {}

  private final Graph graph;
  private final List<Step> steps = new ArrayList<>();

  /**
   * A profile of steps run on {@code graph} (used to name the type of an op the trace does not
   * label).
   *
   * @param graph the graph the traced runs executed
   */
  public StepProfile(Graph graph) {
    this.graph = graph;
  }

  /**
   * Adds one traced step.
   *
   * @param trace the step's {@code Session.run} trace
   * @param hostNanos the step's time outside {@code Session.run} on the caller's thread (making
   *     feeds, reading fetches, other Java work; not waiting for input)
   */
  public void add(RunTrace trace, long hostNanos) {
    steps.add(new Step(trace, Math.max(0, hostNanos)));
  }

  /** Number of steps added. */
  public int steps() {
    return steps.size();
  }

  /** Mean time inside {@code Session.run} per step, in milliseconds. */
  public double sessionMillisPerStep() {
    return steps.stream().mapToLong(s -> s.trace().sessionNanos()).average().orElse(0) / 1e6;
  }

  /** Mean host time outside {@code Session.run} per step, in milliseconds. */
  public double hostMillisPerStep() {
    return steps.stream().mapToLong(Step::hostNanos).average().orElse(0) / 1e6;
  }

  /** Sum of all op times per step (over all threads), in milliseconds. */
  public double opMillisPerStep() {
    return steps.isEmpty()
        ? 0
        : byNode().stream().mapToLong(OpTime::micros).sum() / 1e3 / steps.size();
  }

  /**
   * The op types that took the most time, summed over steps, longest first.
   *
   * @param n how many
   * @return at most {@code n} op types ({@code name} and {@code type} are the type)
   */
  public List<OpTime> topOpTypes(int n) {
    Map<String, long[]> sums = new HashMap<>();
    for (OpTime o : byNode()) {
      long[] s = sums.computeIfAbsent(o.type(), k -> new long[2]);
      s[0] += o.micros();
      s[1] += o.count();
    }
    List<OpTime> out = new ArrayList<>();
    sums.forEach((type, s) -> out.add(new OpTime(type, type, s[0], s[1])));
    return top(out, n);
  }

  /**
   * The nodes that took the most time, summed over steps, longest first.
   *
   * @param n how many
   * @return at most {@code n} nodes
   */
  public List<OpTime> topNodes(int n) {
    return top(byNode(), n);
  }

  private static List<OpTime> top(List<OpTime> all, int n) {
    return all.stream()
        .sorted(Comparator.comparingLong(OpTime::micros).reversed().thenComparing(OpTime::name))
        .limit(n)
        .toList();
  }

  private List<OpTime> byNode() {
    Map<String, OpTime> sums = new LinkedHashMap<>();
    for (Step s : steps) {
      for (DeviceStepStats dev : s.trace().metadata().getStepStats().getDevStatsList()) {
        for (NodeExecStats node : dev.getNodeStatsList()) {
          String name = node.getNodeName();
          OpTime prev = sums.get(name);
          long micros = node.getAllEndRelMicros();
          sums.put(
              name,
              prev == null
                  ? new OpTime(name, type(node), micros, 1)
                  : new OpTime(name, prev.type(), prev.micros() + micros, prev.count() + 1));
        }
      }
    }
    return new ArrayList<>(sums.values());
  }

  /** The kernel's type from the trace's label {@code "name = Type(inputs)"}, else the graph's. */
  private String type(NodeExecStats node) {
    String label = node.getTimelineLabel();
    int eq = label.indexOf(" = ");
    if (eq >= 0) {
      int paren = label.indexOf('(', eq);
      return label.substring(eq + 3, paren > eq ? paren : label.length()).trim();
    }
    String name = node.getNodeName();
    int colon = name.indexOf(':');
    GraphOperation op = graph.operation(colon > 0 ? name.substring(0, colon) : name);
    return op != null ? op.type() : name.startsWith("_SOURCE") ? "_SOURCE" : "(runtime)";
  }

  /**
   * The profile as Markdown: per-step times, then the top op types and the top nodes.
   *
   * @param title what was profiled
   * @param n rows per table
   * @return the text
   */
  public String toMarkdown(String title, int n) {
    StringBuilder b = new StringBuilder();
    double ops = opMillisPerStep();
    b.append(
        String.format(
            Locale.ROOT,
            "### Profile: %s%n%n%d traced steps; per step: Session.run %.2f ms, host outside"
                + " Session.run %.2f ms, sum of op times %.2f ms (all threads)%n%n",
            title,
            steps.size(),
            sessionMillisPerStep(),
            hostMillisPerStep(),
            ops));
    b.append("| op type | ms per step | share of op time | ops per step |\n|---|---:|---:|---:|\n");
    for (OpTime o : topOpTypes(n)) {
      b.append(row(o.type(), o, ops)).append('\n');
    }
    b.append("\n| node | op type | ms per step | share of op time |\n|---|---|---:|---:|\n");
    for (OpTime o : topNodes(n)) {
      double ms = o.micros() / 1e3 / steps.size();
      b.append(
          String.format(
              Locale.ROOT,
              "| `%s` | %s | %.3f | %.1f %% |%n",
              o.name(),
              o.type(),
              ms,
              ops == 0 ? 0 : 100 * ms / ops));
    }
    return b.toString();
  }

  private String row(String label, OpTime o, double ops) {
    double ms = o.micros() / 1e3 / steps.size();
    return String.format(
        Locale.ROOT,
        "| %s | %.3f | %.1f %% | %.0f |",
        label,
        ms,
        ops == 0 ? 0 : 100 * ms / ops,
        (double) o.count() / steps.size());
  }

  /**
   * Writes the traced steps as a Chrome trace (JSON object format): one process per device with one
   * row per TF thread, and a {@code host} process with each {@code Session.run}. Written to a
   * temporary file, then renamed.
   *
   * @param file the {@code .json} to write (its folder is created)
   * @throws IOException if it cannot be written
   */
  public void writeChromeTrace(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
          JsonWriter json = new JsonWriter(w)) {
        json.beginObject().name("displayTimeUnit").value("ms").name("traceEvents").beginArray();
        Map<String, Integer> pids = new LinkedHashMap<>();
        pids.put("host", 0);
        for (int i = 0; i < steps.size(); i++) {
          RunTrace t = steps.get(i).trace();
          event(json, "Session.run " + i, "host", 0, 0, t.startMicros(), t.sessionNanos() / 1000);
          for (DeviceStepStats dev : t.metadata().getStepStats().getDevStatsList()) {
            int pid = pids.computeIfAbsent(dev.getDevice(), d -> pids.size());
            for (NodeExecStats node : dev.getNodeStatsList()) {
              event(
                  json,
                  node.getNodeName(),
                  type(node),
                  pid,
                  node.getThreadId(),
                  node.getAllStartMicros(),
                  node.getAllEndRelMicros());
            }
          }
        }
        for (Map.Entry<String, Integer> p : pids.entrySet()) {
          json.beginObject()
              .name("name")
              .value("process_name")
              .name("ph")
              .value("M")
              .name("pid")
              .value(p.getValue())
              .name("args")
              .beginObject()
              .name("name")
              .value(p.getKey())
              .endObject()
              .endObject();
        }
        json.endArray().endObject();
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void event(
      JsonWriter json, String name, String cat, int pid, long tid, long ts, long dur)
      throws IOException {
    json.beginObject()
        .name("name")
        .value(name)
        .name("cat")
        .value(cat)
        .name("ph")
        .value("X")
        .name("pid")
        .value(pid)
        .name("tid")
        .value(tid)
        .name("ts")
        .value(ts)
        .name("dur")
        .value(Math.max(1, dur))
        .name("args")
        .beginObject()
        .name("op")
        .value(cat)
        .endObject()
        .endObject();
  }
}
