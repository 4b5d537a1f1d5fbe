package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Learning rates against values worked out by hand from Scenic's compound schedule formulas. */
class LrConfigTest {

  private static LrConfig lr(
      String factors,
      double base,
      long warmup,
      OptionalLong total,
      double end,
      OptionalLong cycle) {
    return new LrConfig(
        "compound", List.of(factors.split("\\*")), base, warmup, total, end, cycle, 0, 0, 10_000);
  }

  @Test
  void learningRate_warmupThenLinearDecay_matchesHandValues() {
    // im1k: base 5e-3, warmup 10000, total 28080, end 1e-5.
    LrConfig c =
        lr(
            "constant*linear_warmup*linear_decay",
            5e-3,
            10_000,
            OptionalLong.of(28_080),
            1e-5,
            OptionalLong.empty());
    assertEquals(0.0, c.learningRate(0), 1e-15);
    // Half-way through warmup: 5e-3 * 0.5; decay has not started, (5e-3*0.5 - 1e-5)*1 + 1e-5.
    assertEquals(2.5e-3, c.learningRate(5_000), 1e-12);
    assertEquals(5e-3, c.learningRate(10_000), 1e-12);
    // progress (19040 - 10000) / 18080 = 0.5: (5e-3 - 1e-5) * 0.5 + 1e-5 = 2.505e-3.
    assertEquals(2.505e-3, c.learningRate(19_040), 1e-12);
    assertEquals(1e-5, c.learningRate(28_080), 1e-15);
  }

  @Test
  void learningRate_warmupThenCosine_matchesHandValues() {
    // tiny: base 1e-3, warmup 50, cycle 600, total 600. The cycle shrinks to 600 - 50 = 550 and
    // starts after warmup.
    LrConfig c =
        lr(
            "constant*linear_warmup*cosine_decay",
            1e-3,
            50,
            OptionalLong.of(600),
            0,
            OptionalLong.of(600));
    assertEquals(0.5e-3, c.learningRate(25), 1e-12); // warmup half, cosine still 1
    assertEquals(1e-3, c.learningRate(50), 1e-12);
    // 275 of 550 steps: 0.5 * (1 + cos(pi / 2)) = 0.5.
    assertEquals(0.5e-3, c.learningRate(325), 1e-12);
    // 137.5 of 550 steps would be 0.5 * (1 + cos(pi / 4)); at step 187: 137 / 550.
    assertEquals(1e-3 * 0.5 * (1 + Math.cos(Math.PI * 137 / 550.0)), c.learningRate(187), 1e-12);
    // Last step the trainer takes (steps are 0-based): 549 of 550.
    assertEquals(1e-3 * 0.5 * (1 + Math.cos(Math.PI * 549 / 550.0)), c.learningRate(599), 1e-15);
    // Scenic's cosine is cyclic: a full cycle restarts at the base rate.
    assertEquals(1e-3, c.learningRate(600), 1e-12);
  }

  @Test
  void learningRate_rsqrtDecay_matchesHandValues() {
    LrConfig c =
        lr(
            "constant*linear_warmup*rsqrt_decay",
            0.1,
            100,
            OptionalLong.empty(),
            0,
            OptionalLong.empty());
    assertEquals(0.1, c.learningRate(100), 1e-12);
    // shift = 10000 - 100: sqrt(10000) / sqrt(400 + 9900) = 100 / sqrt(10300).
    assertEquals(0.1 * 100 / Math.sqrt(10_300), c.learningRate(400), 1e-12);
  }

  @Test
  void constructor_linearDecayWithoutTotal_throws() {
    assertThrows(
        IllegalArgumentException.class,
        () -> lr("constant*linear_decay", 1, 0, OptionalLong.empty(), 0, OptionalLong.empty()));
  }

  @Test
  void constructor_unsupportedFactor_throws() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> lr("constant*polynomial", 1, 0, OptionalLong.empty(), 0, OptionalLong.empty()));
    assertEquals(true, e.getMessage().contains("polynomial"));
  }
}
