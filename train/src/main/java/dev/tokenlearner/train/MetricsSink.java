package dev.tokenlearner.train;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.summary.MetricsLog;
import dev.tokenlearner.train.summary.TensorBoardWriter;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * Where a run's scalars go: TensorBoard event files ({@code <split>/<name>}) and {@code
 * metrics.csv}, written together so the two never disagree.
 */
final class MetricsSink implements AutoCloseable {

  private final TensorBoardWriter tensorBoard;
  private final MetricsLog csv;

  /**
   * Opens both.
   *
   * @param tensorBoardDir the event files' folder
   * @param csvFile the CSV; rows after {@code startStep} (from a run that went further before a
   *     resume) are dropped
   * @param startStep the step the run starts from
   */
  MetricsSink(Path tensorBoardDir, Path csvFile, long startStep) throws IOException {
    csv = new MetricsLog(csvFile, startStep);
    try {
      tensorBoard = new TensorBoardWriter(tensorBoardDir);
    } catch (IOException | RuntimeException e) {
      csv.close();
      throw e;
    }
  }

  /** Writes one scalar to TensorBoard and the CSV. */
  void add(long step, String split, String name, double value) throws IOException {
    tensorBoard.scalar(split + "/" + name, step, value);
    csv.add(step, split, name, value);
  }

  /**
   * Records what the run is: the config as text and its scalar keys as hparams (TensorBoard's Text
   * and HParams tabs).
   */
  void describe(ExperimentConfig cfg, long step) {
    String yaml =
        new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setWidth(100).build())
            .dumpToString(cfg.raw());
    // Indented four spaces, Markdown shows it as a code block.
    tensorBoard.text("config", step, yaml.indent(4));
    Map<String, Object> hparams = new TreeMap<>();
    flatten("", cfg.raw(), hparams);
    tensorBoard.hparams(hparams);
  }

  /** Scalar leaves by dotted key ({@code model.hidden_size}); lists as their text. */
  static void flatten(String prefix, Map<?, ?> map, Map<String, Object> out) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + e.getKey();
      Object v = e.getValue();
      if (v instanceof Map<?, ?> m) {
        flatten(key + ".", m, out);
      } else if (v instanceof Number || v instanceof Boolean || v instanceof String) {
        out.put(key, v);
      } else if (v != null) {
        out.put(key, String.valueOf(v));
      }
    }
  }

  /** Writes one image to TensorBoard (pictures have no place in the CSV). */
  void image(long step, String tag, BufferedImage image) {
    tensorBoard.image(tag, step, image);
  }

  /** Makes what was written visible to readers. */
  void flush() {
    tensorBoard.flush();
  }

  @Override
  public void close() throws IOException {
    try {
      tensorBoard.close();
    } finally {
      csv.close();
    }
  }
}
