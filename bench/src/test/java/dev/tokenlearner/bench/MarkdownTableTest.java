package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenlearner.bench.MarkdownTable.Align;
import java.util.List;
import org.junit.jupiter.api.Test;

class MarkdownTableTest {

  @Test
  void render_padsColumnsAndMarksRightAlignment() {
    MarkdownTable t =
        new MarkdownTable(List.of("config", "speedup"), List.of(Align.LEFT, Align.RIGHT));
    t.row(List.of("Ti/16", "1.000"));
    t.row(List.of("Ti/16 tl8@6+fuser", "1.75"));
    String expected =
        "| config            | speedup |\n"
            + "| ----------------- | ------: |\n"
            + "| Ti/16             |   1.000 |\n"
            + "| Ti/16 tl8@6+fuser |    1.75 |\n";
    assertEquals(expected, t.render());
    assertEquals(2, t.size());
  }

  @Test
  void render_shortHeaders_useThreeCharacterMarkers() {
    MarkdownTable t = new MarkdownTable(List.of("a"), List.of(Align.RIGHT));
    t.row(List.of("x"));
    assertEquals("|   a |\n| --: |\n|   x |\n", t.render());
  }

  @Test
  void row_pipeInCell_isEscaped() {
    MarkdownTable t = new MarkdownTable(List.of("k"), List.of(Align.LEFT));
    t.row(List.of("a|b"));
    assertEquals("| k    |\n| ---- |\n| a\\|b |\n", t.render());
  }

  @Test
  void row_wrongCellCount_throws() {
    MarkdownTable t = new MarkdownTable(List.of("a", "b"), List.of(Align.LEFT, Align.LEFT));
    assertThrows(IllegalArgumentException.class, () -> t.row(List.of("only one")));
    assertThrows(IllegalArgumentException.class, () -> new MarkdownTable(List.of("a"), List.of()));
  }
}
