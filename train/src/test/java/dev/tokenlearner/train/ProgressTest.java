package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ProgressTest {

  @Test
  void lines_withoutTerminal_writeWholeLinesWithStepAndMetrics() {
    List<String> lines = new CopyOnWriteArrayList<>();
    MetricWindow window = new MetricWindow();
    try (Progress p = Progress.lines(0, 40, lines::add, Duration.ofDays(1))) {
      for (long step = 1; step <= 40; step++) {
        p.update(step, window, OptionalDouble.of(0.25), 123.4);
      }
    }
    // The interval never passed: the first draw and the last one on close, nothing in between.
    assertTrue(lines.size() >= 1 && lines.size() <= 2, lines.toString());
    String last = lines.get(lines.size() - 1);
    for (String line : lines) {
      assertFalse(line.contains("\r") || line.contains("\n"), line);
      assertTrue(line.length() <= Progress.LINE_LENGTH, line);
    }
    assertTrue(last.contains("40/40"), last);
    assertTrue(last.contains("val 0.250"), last);
    assertTrue(last.contains("123 img/s"), last);
  }

  @Test
  void barAwareStream_logLineAfterBar_erasesTheBarLineFirst() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new Progress.BarAwareStream(terminal), true);
    terminal.print("\rtrain 5% [==  ] 30/600");
    err.println("[main] INFO step 30: held-out accuracy 0.5");
    terminal.print("\rtrain 6% [==  ] 36/600");
    err.print("second ");
    err.println("line");
    assertEquals(
        "\rtrain 5% [==  ] 30/600"
            + Progress.ERASE_LINE
            + "[main] INFO step 30: held-out accuracy 0.5\n"
            + "\rtrain 6% [==  ] 36/600"
            + Progress.ERASE_LINE
            + "second line\n",
        bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
  }
}
