package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenlearner.config.LrConfig;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

class LearningRateScheduleTest {

  private static LrConfig lr(
      String factors, double base, long warmup, Long total, double end, Long cycle, double alpha) {
    return new LrConfig(
        "compound",
        List.of(factors.split("\\*")),
        base,
        warmup,
        total == null ? OptionalLong.empty() : OptionalLong.of(total),
        end,
        cycle == null ? OptionalLong.empty() : OptionalLong.of(cycle),
        0.0,
        alpha,
        LrConfig.TIMESCALE_DEFAULT);
  }

  /** The schedule's graph value at each step. */
  private static float[] values(LrConfig cfg, long... steps) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TInt64> step = tf.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      Operand<TFloat32> v = LearningRateSchedule.build(tf, cfg, step);
      float[] out = new float[steps.length];
      for (int i = 0; i < steps.length; i++) {
        try (TInt64 t = TInt64.scalarOf(steps[i]);
            Result r = s.runner().feed(step, t).fetch(v).run()) {
          out[i] = ((TFloat32) r.get(0)).getFloat();
        }
      }
      return out;
    }
  }

  @Test
  void build_constantWarmupLinearDecay_matchesHandComputedValues() {
    // base 1e-3, warmup 100, total 1000, end 1e-5
    float[] v =
        values(
            lr("constant*linear_warmup*linear_decay", 1e-3, 100, 1000L, 1e-5, null, 0),
            0,
            50,
            100,
            550,
            1000,
            1200);
    assertEquals(0.0, v[0], 1e-9); // warmup factor 0
    assertEquals(5e-4, v[1], 1e-9); // 1e-3 * 50/100
    assertEquals(1e-3, v[2], 1e-9); // warmup done, no decay yet
    // progress (550-100)/900 = 0.5: (1e-3 - 1e-5) * 0.5 + 1e-5
    assertEquals(5.05e-4, v[3], 1e-9);
    assertEquals(1e-5, v[4], 1e-10); // end of decay
    assertEquals(1e-5, v[5], 1e-10); // clamped after total
  }

  @Test
  void build_cosineDecayWithWarmup_matchesHandComputedValues() {
    // base 0.1, warmup 100, steps_per_cycle = total = 1100: effective cycle 1100 - int(100 / 1) =
    // 1000
    float[] v =
        values(
            lr("constant*linear_warmup*cosine_decay", 0.1, 100, 1100L, 0, 1100L, 0),
            50,
            100,
            600,
            1100);
    assertEquals(0.05, v[0], 1e-7); // in warmup, cosine still 1
    assertEquals(0.1, v[1], 1e-7);
    assertEquals(0.05, v[2], 1e-7); // halfway: (1 + cos(pi/2)) / 2 = 0.5
    assertEquals(
        0.1, v[3], 1e-7); // a full cycle later the cosine restarts at 1 (Scenic's cyclic form)
  }

  @Test
  void build_cosineDecayWithAlpha_keepsFloor() {
    // alpha 0.2, cycle 400, no warmup: at step 300 progress 0.75, cosine (1 + cos(0.75 pi)) / 2
    float[] v = values(lr("constant*cosine_decay", 2.0, 0, null, 0, 400L, 0.2), 300);
    double cosine = 0.5 * (1 + Math.cos(0.75 * Math.PI));
    assertEquals(2.0 * (0.8 * cosine + 0.2), v[0], 1e-6);
  }

  @Test
  void build_rsqrtDecay_matchesHandComputedValues() {
    // timescale 10000, warmup 400: 1 up to 400, then sqrt(10000) / sqrt(step + 9600)
    float[] v = values(lr("constant*rsqrt_decay", 0.5, 400, null, 0, null, 0), 400, 2900);
    assertEquals(0.5, v[0], 1e-7);
    assertEquals(0.5 * 100.0 / Math.sqrt(12500.0), v[1], 1e-7);
  }
}
