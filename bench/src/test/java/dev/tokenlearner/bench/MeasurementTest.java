package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MeasurementTest {

  private static Measurement of(String config, double medianMs, double flopRatio, double speedup) {
    Summary s = Summary.of(new double[] {medianMs});
    return new Measurement(
        config,
        "B/16",
        ModelRunner.Kind.FORWARD,
        8,
        s,
        35e9,
        flopRatio,
        speedup,
        speedup,
        Double.NaN);
  }

  @Test
  void throughput_fromMedianBatchAndFlops() {
    Measurement m = of("B/16", 800, 1, 1);
    assertEquals(10.0, m.imagesPerSecond(), 1e-9);
    // 8 images * 35 GFLOP in 0.8 s
    assertEquals(350.0, m.gflopsPerSecond(), 1e-9);
    assertTrue(m.isPlain());
    assertTrue(m.meetsTarget());
  }

  @Test
  void meetsTarget_comparesSpeedupWithNinetyFivePercentOfFlopRatio() {
    assertTrue(of("B/16 tl8@6", 400, 1.9, 1.81).meetsTarget());
    assertFalse(of("B/16 tl8@6", 400, 1.9, 1.80).meetsTarget());
    assertEquals(0.5, of("B/16 tl8@6", 400, 2.0, 1.0).speedupEfficiency(), 1e-12);
  }

  @Test
  void parseResult_childLine_givesMillis() {
    double[] ms = SettingsSweep.parseResult("SWEEP_MS 1.5 2.25");
    assertEquals(2, ms.length);
    assertEquals(2.25, ms[1], 0);
  }
}
