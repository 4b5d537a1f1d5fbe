package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ViTSize;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class XlaBenchTest {

  private static XlaBench.Row row(double graph, double xla, Double pyXla) {
    Map<String, Summary> py =
        pyXla == null ? Map.of() : Map.of("xla", Summary.of(new double[] {pyXla}));
    return new XlaBench.Row(
        "Ti/16",
        ModelRunner.Kind.FORWARD,
        Summary.of(new double[] {graph}),
        Summary.of(new double[] {xla}),
        py,
        pyXla == null ? "python3 cannot import tensorflow" : "");
  }

  @Test
  void ratioVsPythonXla_usesOurFasterMode() {
    assertEquals(120.0 / 100.0, row(150, 100, 120.0).ratioVsPythonXla(), 1e-12);
    assertEquals(120.0 / 90.0, row(90, 100, 120.0).ratioVsPythonXla(), 1e-12);
    assertTrue(Double.isNaN(row(90, 100, null).ratioVsPythonXla()));
  }

  @Test
  void markdown_rowsAndPythonNote_oneLinePerRow() {
    String md = XlaBench.markdown(List.of(row(150, 100, 120.0), row(90, 100, null)), 8);
    assertTrue(md.contains("| Ti/16 | forward | 150.0 | 100.0 | n/a | 120.0 | 1.20x |"), md);
    assertTrue(md.contains("| Ti/16 | forward | 90.0 | 100.0 | n/a | n/a | n/a |"), md);
    assertTrue(md.contains("Python: python3 cannot import tensorflow"), md);
  }

  @Test
  void options_zeroWarmup_rejected() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new XlaBench.Options(
                List.of(ViTSize.TI), 8, 0, 5, List.of(ModelRunner.Kind.FORWARD), false));
  }

  @Test
  void options_withoutLargeRepetitions_atMostThreeForB16() {
    XlaBench.Options o =
        new XlaBench.Options(
            List.of(ViTSize.TI, ViTSize.B), 8, 2, 5, List.of(ModelRunner.Kind.FORWARD), false);
    assertEquals(5, o.repetitions(ViTSize.TI));
    assertEquals(5, o.repetitions(ViTSize.S));
    assertEquals(XlaBench.LARGE_REPETITIONS, o.repetitions(ViTSize.B));
    XlaBench.Options two =
        new XlaBench.Options(List.of(ViTSize.B), 8, 2, 2, List.of(ModelRunner.Kind.FORWARD), false);
    assertEquals(2, two.repetitions(ViTSize.B));
  }
}
