package dev.tokenlearner.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A GitHub-flavoured Markdown table: a header row, an alignment row and body rows, with columns
 * padded to equal width so the source reads as a table too.
 */
public final class MarkdownTable {

  /** Column alignment. */
  public enum Align {
    /** Text columns. */
    LEFT,
    /** Number columns. */
    RIGHT
  }

  private final List<String> headers;
  private final List<Align> aligns;
  private final List<List<String>> rows = new ArrayList<>();

  /**
   * Starts a table with the given column titles and alignments.
   *
   * @param headers column titles
   * @param aligns one alignment per column
   * @throws IllegalArgumentException if the lists differ in length or are empty
   */
  public MarkdownTable(List<String> headers, List<Align> aligns) {
    if (headers.isEmpty() || headers.size() != aligns.size()) {
      throw new IllegalArgumentException(
          "need one alignment per header, got "
              + headers.size()
              + " headers and "
              + aligns.size()
              + " alignments");
    }
    this.headers = List.copyOf(headers);
    this.aligns = List.copyOf(aligns);
  }

  /**
   * Appends a row.
   *
   * @param cells one cell per column; '|' and line breaks are escaped
   * @return this table
   * @throws IllegalArgumentException if the number of cells differs from the number of columns
   */
  public MarkdownTable row(List<String> cells) {
    if (cells.size() != headers.size()) {
      throw new IllegalArgumentException(
          "row has " + cells.size() + " cells, table has " + headers.size() + " columns: " + cells);
    }
    List<String> escaped = new ArrayList<>();
    for (String c : cells) {
      escaped.add(c == null ? "" : c.replace("|", "\\|").replace("\n", " "));
    }
    rows.add(escaped);
    return this;
  }

  /**
   * Number of body rows.
   *
   * @return rows added so far
   */
  public int size() {
    return rows.size();
  }

  /**
   * Renders the table, one line per row, each ending in a newline.
   *
   * @return the Markdown source
   */
  public String render() {
    int cols = headers.size();
    int[] width = new int[cols];
    for (int c = 0; c < cols; c++) {
      // 3 is the shortest alignment marker ("---" or "--:")
      width[c] = Math.max(3, headers.get(c).length());
      for (List<String> r : rows) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, headers, width);
    List<String> marks = new ArrayList<>();
    for (int c = 0; c < cols; c++) {
      marks.add(
          aligns.get(c) == Align.RIGHT ? "-".repeat(width[c] - 1) + ":" : "-".repeat(width[c]));
    }
    line(sb, marks, width);
    for (List<String> r : rows) {
      line(sb, r, width);
    }
    return sb.toString();
  }

  private void line(StringBuilder sb, List<String> cells, int[] width) {
    sb.append('|');
    for (int c = 0; c < cells.size(); c++) {
      String v = cells.get(c);
      String pad = " ".repeat(width[c] - v.length());
      sb.append(' ').append(aligns.get(c) == Align.RIGHT ? pad + v : v + pad).append(" |");
    }
    sb.append('\n');
  }
}
