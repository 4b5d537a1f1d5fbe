package dev.tokenlearner.export;

import dev.tokenlearner.core.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Class-name files: one label per line, in class order ({@code labels.txt}, TF Serving style). */
public final class Labels {

  private Labels() {}

  /**
   * Reads a labels file; trailing blank lines are ignored, surrounding whitespace is trimmed.
   *
   * @param file the file
   * @param numClasses the number of classes the model has
   * @return the labels
   * @throws IllegalArgumentException naming the file if the count differs or a label is blank
   * @throws IOException if the file cannot be read
   */
  public static List<String> read(Path file, int numClasses) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
      lines.remove(lines.size() - 1);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String s = lines.get(i).strip();
      if (s.isEmpty()) {
        throw new InvalidInputException(file + ": line " + (i + 1) + " is blank");
      }
      out.add(s);
    }
    if (out.size() != numClasses) {
      throw new InvalidInputException(
          file + ": " + out.size() + " labels for a model with " + numClasses + " classes");
    }
    return List.copyOf(out);
  }
}
