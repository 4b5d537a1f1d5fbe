package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SummaryTest {

  @Test
  void of_oddCount_medianIsMiddleAndP95Interpolates() {
    // sorted 1..5: rank of p95 = 0.95 * 4 = 3.8 -> 4 + 0.8 * (5 - 4)
    Summary s = Summary.of(new double[] {3, 1, 5, 2, 4});
    assertEquals(5, s.n());
    assertEquals(3.0, s.median(), 0);
    assertEquals(4.8, s.p95(), 1e-12);
    assertEquals(1.0, s.min(), 0);
    assertEquals(5.0, s.max(), 0);
    assertEquals(4.0 / 3.0, s.relativeSpread(), 1e-12);
  }

  @Test
  void of_evenCount_medianAveragesMiddlePair() {
    Summary s = Summary.of(new double[] {40, 10, 30, 20});
    assertEquals(25.0, s.median(), 1e-12);
    // rank 0.95 * 3 = 2.85 -> 30 + 0.85 * 10
    assertEquals(38.5, s.p95(), 1e-12);
  }

  @Test
  void of_singleSample_allStatisticsEqualIt() {
    Summary s = Summary.of(new double[] {7.5});
    assertEquals(7.5, s.median(), 0);
    assertEquals(7.5, s.p95(), 0);
    assertEquals(0.0, s.relativeSpread(), 0);
  }

  @Test
  void of_doesNotReorderCallerArray() {
    double[] v = {3, 1, 2};
    Summary.of(v);
    assertEquals(3.0, v[0], 0);
    assertEquals(1.0, v[1], 0);
  }

  @Test
  void percentile_endpoints_areMinAndMax() {
    double[] sorted = {2, 4, 8};
    assertEquals(2.0, Summary.percentile(sorted, 0), 0);
    assertEquals(8.0, Summary.percentile(sorted, 100), 0);
    assertEquals(6.0, Summary.percentile(sorted, 75), 1e-12);
  }

  @Test
  void of_noSamplesOrNaN_throws() {
    assertThrows(IllegalArgumentException.class, () -> Summary.of(new double[0]));
    assertThrows(IllegalArgumentException.class, () -> Summary.of(new double[] {1, Double.NaN}));
    assertThrows(IllegalArgumentException.class, () -> Summary.percentile(new double[] {1}, 101));
  }
}
