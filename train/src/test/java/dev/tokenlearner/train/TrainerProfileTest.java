package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.profile.StepProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.GraphOperation;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class TrainerProfileTest {

  @TempDir Path dir;

  @Test
  void profileSteps_writesChromeTraceOfTheModelsOps() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("num_training_steps: 6");
    Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet().withProfileSteps(3));
    JsonObject root =
        JsonParser.parseString(
                Files.readString(dir.resolve(Trainer.PROFILE_TRACE), StandardCharsets.UTF_8))
            .getAsJsonObject();
    List<JsonObject> events =
        root.getAsJsonArray("traceEvents").asList().stream()
            .map(JsonElement::getAsJsonObject)
            .toList();
    assertEquals(
        3,
        events.stream().filter(e -> e.get("name").getAsString().startsWith("Session.run")).count());
    assertTrue(
        events.stream()
            .anyMatch(
                e ->
                    e.get("name").getAsString().startsWith("Transformer/encoderblock_1/")
                        && e.get("cat").getAsString().contains("MatMul")),
        "a MatMul of encoder block 1 in the trace");
    assertTrue(
        events.stream()
            .anyMatch(
                e -> e.get("name").getAsString().startsWith("Transformer/TokenLearnerModuleV11_")),
        "the TokenLearner's ops in the trace");
  }

  @Test
  void summary_breaksTheLoopTimeDown() throws Exception {
    ExperimentConfig cfg =
        TestConfigs.tiny("num_training_steps: 6", "log_eval_steps: 3", "checkpoint_steps: 3");
    TrainSummary s = Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet());
    TimeBreakdown t = s.time();
    assertTrue(t.compute() > 0 && t.evaluation() > 0 && t.checkpoint() > 0, t.toString());
    assertTrue(t.inputWait() >= 0 && t.host() >= 0, t.toString());
    double parts = t.inputWait() + t.host() + t.compute() + t.evaluation() + t.checkpoint();
    assertEquals(t.loop(), parts, 1e-6);
    assertTrue(t.loop() <= s.wallSeconds(), t + " within " + s.wallSeconds());
    String line = t.format();
    for (String part :
        List.of("input wait ", "host overhead ", "TF compute ", "evaluation ", "checkpoints ")) {
      assertTrue(line.contains(part), line);
    }
    assertFalse(line.contains("\n"), line);
  }

  @Test
  void topOps_areKernelsOfTheStepsGraph() {
    ExperimentConfig cfg = TestConfigs.tiny();
    try (TrainStep step = TrainStep.builder(cfg).build();
        TFloat32 x = TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(16, 16, 16, 3));
        TInt32 y = TInt32.vectorOf(new int[16])) {
      step.initialize();
      StepProfile p = new StepProfile(step.graph());
      for (int i = 0; i < 3; i++) {
        long s0 = step.sessionNanos();
        step.trace(Optional.of(t -> p.add(t, 0)));
        step.run(x, y, i);
        step.trace(Optional.empty());
        assertTrue(step.sessionNanos() > s0);
      }
      Set<String> graphTypes = new HashSet<>();
      step.graph().operations().forEachRemaining(o -> graphTypes.add(((GraphOperation) o).type()));
      List<StepProfile.OpTime> top = p.topOpTypes(10);
      assertEquals(10, top.size());
      for (StepProfile.OpTime o : top) {
        // A graph op's type, or a kernel TF's optimizer rewrote it to (_MklMatMul, _FusedMatMul).
        assertTrue(
            graphTypes.contains(o.type()) || o.type().matches("_[A-Z][A-Za-z0-9]+"), o.type());
        assertTrue(o.micros() > 0, o.type());
      }
      assertTrue(top.stream().anyMatch(o -> o.type().contains("MatMul")), top.toString());
      assertFalse(p.topNodes(5).isEmpty());
      assertTrue(p.sessionMillisPerStep() > 0);
    }
  }
}
