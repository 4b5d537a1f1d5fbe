package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenlearner.config.ViTSize;
import java.util.List;
import org.junit.jupiter.api.Test;

class PythonModelArgsTest {

  private static String value(List<String> args, String name) {
    int i = args.indexOf("--" + name);
    if (i < 0) {
      throw new AssertionError("no --" + name + " in " + args);
    }
    return args.get(i + 1);
  }

  private static double number(List<String> args, String name) {
    return Double.parseDouble(value(args, name));
  }

  @Test
  void of_tokenLearnerTrainStep_recipeLossOptimizerAndSchedule() {
    BenchConfig c = BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 8, 6, false);
    List<String> a = PythonModelArgs.of(ModelRunner.experiment(c), 8, ModelRunner.Kind.TRAIN_STEP);
    assertEquals("192", value(a, "width"));
    assertEquals("3", value(a, "heads"));
    assertEquals("768", value(a, "mlp"));
    assertEquals("12", value(a, "layers"));
    assertEquals("8", value(a, "tokens"));
    assertEquals("6", value(a, "loc"));
    assertEquals("1000", value(a, "classes"));
    assertEquals("224", value(a, "side"));
    assertEquals("16", value(a, "patch"));
    assertEquals("train", value(a, "kind"));
    assertEquals(0.1, number(a, "dropout"), 0);
    assertEquals(0.1, number(a, "attention-dropout"), 0);
    // configs/token_learner_b16.yaml: multilabel model, adam with weight_decay 0.3 (adamw),
    // max_grad_norm 1, compound schedule with 10000 warm-up steps of 28080.
    assertEquals("sigmoid", value(a, "loss"));
    assertEquals("adamw", value(a, "optimizer"));
    assertEquals(0.3, number(a, "weight-decay"), 0);
    assertEquals(0.999, number(a, "beta2"), 0);
    assertEquals(1.0, number(a, "max-grad-norm"), 0);
    assertEquals("constant*linear_warmup*linear_decay", value(a, "lr-factors"));
    assertEquals(5e-3, number(a, "lr-base"), 0);
    assertEquals(10000, number(a, "lr-warmup"), 0);
    assertEquals(28080, number(a, "lr-total"), 0);
    assertEquals(1e-5, number(a, "lr-end"), 0);
  }

  @Test
  void of_plainForward_noTokensNoTrainingOptions() {
    BenchConfig c = BenchConfig.plain(ViTSize.S, 16, 224);
    List<String> a = PythonModelArgs.of(ModelRunner.experiment(c), 4, ModelRunner.Kind.FORWARD);
    assertEquals("0", value(a, "tokens"));
    assertEquals("4", value(a, "batch"));
    assertEquals("forward", value(a, "kind"));
    assertFalse(a.contains("--optimizer"), a.toString());
  }

  @Test
  void of_tokenFuser_rejected() {
    BenchConfig c = BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 8, 6, true);
    assertThrows(
        IllegalArgumentException.class,
        () -> PythonModelArgs.of(ModelRunner.experiment(c), 8, ModelRunner.Kind.FORWARD));
  }
}
