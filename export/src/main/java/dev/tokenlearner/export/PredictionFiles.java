package dev.tokenlearner.export;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.Predict.Classification;
import dev.tokenlearner.export.serving.Predictions;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes {@code predict}'s top-k classes: {@code .csv} (one row per example and rank), {@code
 * .json} (one object per example) or {@code .npy} (the logits), chosen by the file extension.
 *
 * <p>CSV columns: {@code input,rank,class,label,probability}. JSON: {@code [{"input": "cat.jpg",
 * "top_k": [{"class": 3, "label": "cat", "probability": 0.91}, ...]}, ...]}.
 */
public final class PredictionFiles {

  private PredictionFiles() {}

  /**
   * Writes predictions in the format the file name says.
   *
   * @param file a {@code .csv}, {@code .json} or {@code .npy} path
   * @param c the classification
   * @param k classes per example (CSV, JSON)
   * @throws IOException if the file cannot be written
   * @throws IllegalArgumentException for another extension
   */
  public static void write(Path file, Classification c, int k) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (name.endsWith(".npy")) {
      Npy.write(file, c.predictions().logits());
    } else if (name.endsWith(".csv")) {
      Files.writeString(file, csv(c, k), StandardCharsets.UTF_8);
    } else if (name.endsWith(".json")) {
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(json(c, k), w);
      }
    } else {
      throw new InvalidInputException(
          file + ": output must end in .npy (logits), .csv or .json (top-k classes)");
    }
  }

  /**
   * The CSV text.
   *
   * @param c the classification
   * @param k classes per example
   * @return header plus {@code n * min(k, classes)} rows
   */
  public static String csv(Classification c, int k) {
    StringBuilder sb = new StringBuilder("input,rank,class,label,probability\n");
    Predictions p = c.predictions();
    for (int i = 0; i < p.size(); i++) {
      int rank = 1;
      for (Predictions.Scored s : p.topK(i, k)) {
        sb.append(quote(c.names().get(i)))
            .append(',')
            .append(rank++)
            .append(',')
            .append(s.index())
            .append(',')
            .append(quote(s.label()))
            .append(',')
            .append(String.format(Locale.ROOT, "%.6g", s.probability()))
            .append('\n');
      }
    }
    return sb.toString();
  }

  /**
   * The JSON document.
   *
   * @param c the classification
   * @param k classes per example
   * @return an array with one object per example
   */
  public static JsonArray json(Classification c, int k) {
    JsonArray out = new JsonArray();
    Predictions p = c.predictions();
    for (int i = 0; i < p.size(); i++) {
      JsonArray top = new JsonArray();
      for (Predictions.Scored s : p.topK(i, k)) {
        JsonObject o = new JsonObject();
        o.addProperty("class", s.index());
        o.addProperty("label", s.label());
        o.addProperty("probability", s.probability());
        top.add(o);
      }
      JsonObject e = new JsonObject();
      e.addProperty("input", c.names().get(i));
      e.add("top_k", top);
      out.add(e);
    }
    return out;
  }

  /** RFC 4180 quoting where needed. */
  private static String quote(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
      return '"' + s.replace("\"", "\"\"") + '"';
    }
    return s;
  }
}
