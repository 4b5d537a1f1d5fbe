package dev.tokenlearner.train.summary;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The run's scalar history as CSV ({@code step,split,name,value}), appended as training goes. A
 * resumed run first drops rows past the step it resumes from, so the file tells one consistent
 * story; the curve plot is drawn from it.
 */
public final class MetricsLog implements AutoCloseable {

  /** Header line of the file. */
  public static final String HEADER = "step,split,name,value";

  /**
   * One row.
   *
   * @param step the step
   * @param split {@code train} or {@code eval}
   * @param name the metric, e.g. {@code loss}
   * @param value its value
   */
  public record Row(long step, String split, String name, double value) {}

  private final Path file;
  private final BufferedWriter out;

  /**
   * Opens the log, keeping rows up to {@code keepUpToStep} of an existing file.
   *
   * @param file the CSV file
   * @param keepUpToStep rows with a larger step are dropped (0 starts afresh)
   * @throws IOException if the file cannot be read or written
   */
  public MetricsLog(Path file, long keepUpToStep) throws IOException {
    this.file = file;
    List<Row> kept = new ArrayList<>();
    if (keepUpToStep > 0 && Files.exists(file)) {
      for (Row r : read(file)) {
        if (r.step() <= keepUpToStep) {
          kept.add(r);
        }
      }
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    out =
        Files.newBufferedWriter(
            file,
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    out.write(HEADER);
    out.newLine();
    for (Row r : kept) {
      write(r);
    }
    out.flush();
  }

  /**
   * Appends a row (flushed at once, so an interrupted run keeps its history).
   *
   * @param step the step
   * @param split {@code train} or {@code eval}
   * @param name the metric
   * @param value its value
   * @throws IOException if the file cannot be written
   */
  public void add(long step, String split, String name, double value) throws IOException {
    write(new Row(step, split, name, value));
    out.flush();
  }

  private void write(Row r) throws IOException {
    out.write(
        String.format(Locale.ROOT, "%d,%s,%s,%.8g", r.step(), r.split(), r.name(), r.value()));
    out.newLine();
  }

  /**
   * Returns the file.
   *
   * @return the CSV path
   */
  public Path file() {
    return file;
  }

  /**
   * Reads a metrics file.
   *
   * @param file the CSV
   * @return its rows
   * @throws IOException if it cannot be read or a row is malformed
   */
  public static List<Row> read(Path file) throws IOException {
    List<Row> rows = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split(",");
      if (f.length != 4) {
        throw new IOException(
            file
                + " line "
                + (i + 1)
                + ": expected 4 fields ("
                + HEADER
                + "), found '"
                + line
                + "'");
      }
      try {
        rows.add(new Row(Long.parseLong(f[0]), f[1], f[2], Double.parseDouble(f[3])));
      } catch (NumberFormatException e) {
        throw new IOException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return rows;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
