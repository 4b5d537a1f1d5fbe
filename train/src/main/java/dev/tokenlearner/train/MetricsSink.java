package dev.tokenlearner.train;

import dev.tokenlearner.train.summary.MetricsLog;
import dev.tokenlearner.train.summary.TensorBoardWriter;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

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

  /** Writes one scalar to TensorBoard only (rates that would clutter the CSV's curves). */
  void addTensorBoardOnly(long step, String split, String name, double value) {
    tensorBoard.scalar(split + "/" + name, step, value);
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
