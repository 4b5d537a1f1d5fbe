package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InterleavedTest {

  /** A task that logs its calls and reports the global call index, in ms, as its time. */
  private static Interleaved.Timed task(String name, List<String> log) {
    return () -> {
      log.add(name);
      return log.size() * 1_000_000L;
    };
  }

  @Test
  void measure_rotatesStartPerRoundAndDiscardsWarmup() {
    List<String> log = new ArrayList<>();
    double[][] ms =
        Interleaved.measure(List.of(task("A", log), task("B", log), task("C", log)), 1, 3);
    assertEquals(List.of("A", "B", "C", "A", "B", "C", "B", "C", "A", "C", "A", "B"), log);
    // Call indices (1-based) of each task's measured runs; warm-up calls 1-3 are gone.
    assertArrayEquals(new double[] {4, 9, 11}, ms[0], 0);
    assertArrayEquals(new double[] {5, 7, 12}, ms[1], 0);
    assertArrayEquals(new double[] {6, 8, 10}, ms[2], 0);
  }

  @Test
  void measure_badCounts_throw() {
    List<String> log = new ArrayList<>();
    assertThrows(IllegalArgumentException.class, () -> Interleaved.measure(List.of(), 0, 1));
    assertThrows(
        IllegalArgumentException.class, () -> Interleaved.measure(List.of(task("A", log)), 0, 0));
    assertThrows(
        IllegalArgumentException.class, () -> Interleaved.measure(List.of(task("A", log)), -1, 1));
  }
}
