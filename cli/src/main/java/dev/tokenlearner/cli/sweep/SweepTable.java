package dev.tokenlearner.cli.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a sweep keeps: {@code <model>/sweep_row.csv} once a model is done (so a rerun skips
 * it), and {@code sweep.csv} with every finished model; each written to a temporary file and
 * renamed into place.
 */
public final class SweepTable {

  /** The table of all finished models. */
  public static final String CSV = "sweep.csv";

  /** The result of one model, inside its folder. */
  public static final String ROW = "sweep_row.csv";

  private SweepTable() {}

  /**
   * The finished result of a model, if its row was written.
   *
   * @param modelDir the model's folder
   * @return the row, or null when the model has not finished
   * @throws IOException if the file exists but cannot be read or parsed
   */
  public static SweepRow finished(Path modelDir) throws IOException {
    Path f = modelDir.resolve(ROW);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
    try {
      return SweepRow.parse(lines.get(1));
    } catch (RuntimeException e) {
      throw new IOException(f + ": not a sweep row (" + e.getMessage() + "); delete it to rerun");
    }
  }

  /** Marks a model finished. */
  public static void writeRow(Path modelDir, SweepRow row) throws IOException {
    write(modelDir.resolve(ROW), List.of(row));
  }

  /** Writes {@code sweep.csv}. */
  public static void write(Path file, List<SweepRow> rows) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(SweepRow.HEADER);
    rows.forEach(r -> lines.add(r.toCsv()));
    Path target = file.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    try {
      Files.write(tmp, lines, StandardCharsets.UTF_8);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads {@code sweep.csv}.
   *
   * @param file the table
   * @return its rows
   * @throws IOException if it cannot be read
   */
  public static List<SweepRow> read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<SweepRow> out = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) {
      if (!l.isBlank()) {
        out.add(SweepRow.parse(l));
      }
    }
    return out;
  }
}
