package dev.tokenlearner.train.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.StepStats;

class StepProfileTest {

  @TempDir Path dir;

  private static NodeExecStats node(String name, String type, long start, long micros, int tid) {
    return NodeExecStats.newBuilder()
        .setNodeName(name)
        .setTimelineLabel(name + " = " + type + "(x, y)")
        .setAllStartMicros(start)
        .setAllEndRelMicros(micros)
        .setThreadId(tid)
        .build();
  }

  private static RunTrace trace(long start, long sessionMicros, NodeExecStats... nodes) {
    DeviceStepStats dev =
        DeviceStepStats.newBuilder()
            .setDevice("/job:localhost/replica:0/task:0/device:CPU:0")
            .addAllNodeStats(List.of(nodes))
            .build();
    return new RunTrace(
        RunMetadata.newBuilder().setStepStats(StepStats.newBuilder().addDevStats(dev)).build(),
        start,
        sessionMicros * 1000);
  }

  @Test
  void sumsOpTimesByTypeAndNode_perStep() throws Exception {
    try (Graph g = new Graph()) {
      StepProfile p = new StepProfile(g);
      p.add(
          trace(
              1_000,
              900,
              node("a/MatMul", "_FusedMatMul", 1_000, 300, 1),
              node("b/MatMul", "MatMul", 1_010, 100, 2),
              node("a/Add", "Add", 1_300, 50, 1)),
          2_000_000);
      p.add(
          trace(
              5_000,
              700,
              node("a/MatMul", "_FusedMatMul", 5_000, 500, 1),
              node("b/MatMul", "MatMul", 5_010, 100, 2),
              node("a/Add", "Add", 5_500, 30, 1)),
          4_000_000);
      assertEquals(2, p.steps());
      assertEquals(0.8, p.sessionMillisPerStep(), 1e-9);
      assertEquals(3.0, p.hostMillisPerStep(), 1e-9);
      // (300 + 100 + 50 + 500 + 100 + 30) / 2 steps = 540 us.
      assertEquals(0.54, p.opMillisPerStep(), 1e-9);
      assertEquals(
          List.of(
              new StepProfile.OpTime("_FusedMatMul", "_FusedMatMul", 800, 2),
              new StepProfile.OpTime("MatMul", "MatMul", 200, 2)),
          p.topOpTypes(2));
      assertEquals(new StepProfile.OpTime("a/Add", "Add", 80, 2), p.topNodes(3).get(2));
      String md = p.toMarkdown("test", 5);
      assertTrue(md.contains("| _FusedMatMul | 0.400 | 74.1 % | 1 |"), md);
      assertTrue(md.contains("| `a/Add` | Add | 0.040 | 7.4 % |"), md);
    }
  }

  @Test
  void chromeTrace_hasOneEventPerOpAndSessionRun() throws Exception {
    try (Graph g = new Graph()) {
      StepProfile p = new StepProfile(g);
      p.add(trace(1_000, 900, node("a/MatMul", "MatMul", 1_020, 300, 7)), 0);
      Path file = dir.resolve("sub/trace.json");
      p.writeChromeTrace(file);
      JsonObject root =
          JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
      List<JsonObject> events =
          root.getAsJsonArray("traceEvents").asList().stream()
              .map(JsonElement::getAsJsonObject)
              .toList();
      JsonObject op =
          events.stream()
              .filter(e -> e.get("name").getAsString().equals("a/MatMul"))
              .findFirst()
              .orElseThrow();
      assertEquals(
          Map.of("cat", "MatMul", "ts", "1020", "dur", "300", "tid", "7", "pid", "1"),
          Map.of(
              "cat", op.get("cat").getAsString(),
              "ts", op.get("ts").getAsString(),
              "dur", op.get("dur").getAsString(),
              "tid", op.get("tid").getAsString(),
              "pid", op.get("pid").getAsString()));
      JsonObject run =
          events.stream()
              .filter(e -> e.get("name").getAsString().equals("Session.run 0"))
              .findFirst()
              .orElseThrow();
      assertEquals(1000, run.get("ts").getAsLong());
      assertEquals(900, run.get("dur").getAsLong());
      assertEquals(
          List.of("host", "/job:localhost/replica:0/task:0/device:CPU:0"),
          events.stream()
              .filter(e -> e.get("ph").getAsString().equals("M"))
              .map(e -> e.getAsJsonObject("args").get("name").getAsString())
              .toList());
      try (var files = Files.list(file.getParent())) {
        assertEquals(List.of(file), files.toList(), "no temporary file left");
      }
    }
  }
}
