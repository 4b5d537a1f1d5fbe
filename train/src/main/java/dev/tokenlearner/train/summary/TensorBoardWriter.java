package dev.tokenlearner.train.summary;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.summary.SummaryWriter;
import org.tensorflow.op.summary.WriteImageSummary;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Writes TensorBoard scalar and image summaries with TensorFlow's own summary ops ({@code
 * CreateSummaryFileWriter}, {@code WriteScalarSummary}, {@code FlushSummaryWriter}) in a small
 * graph of its own, so the event files ({@code events.out.tfevents.*.v2}) are exactly what
 * TensorFlow writes.
 */
public final class TensorBoardWriter implements AutoCloseable {

  private static final AtomicLong INSTANCES = new AtomicLong();

  private final Graph graph;
  private final Session session;
  private final Placeholder<TInt64> step;
  private final Placeholder<TString> tag;
  private final Placeholder<TFloat32> value;
  private final Op write;
  private final Placeholder<TUint8> pixels;
  private final Op writeImage;
  private final Op flush;
  private final Op closeOp;
  private boolean closed;

  /**
   * Opens an event file in {@code logdir} (created if missing).
   *
   * @param logdir the TensorBoard log directory
   * @throws IOException if the directory cannot be created
   */
  public TensorBoardWriter(Path logdir) throws IOException {
    Files.createDirectories(logdir);
    graph = new Graph();
    try {
      Ops tf = Ops.create(graph);
      SummaryWriter writer =
          tf.summary.summaryWriter(
              SummaryWriter.sharedName("tokenlearner_summary_" + INSTANCES.incrementAndGet()));
      Op create =
          tf.summary.createSummaryFileWriter(
              writer,
              tf.constant(logdir.toAbsolutePath().toString()),
              tf.constant(10),
              tf.constant(10_000),
              tf.constant(".v2"));
      step = tf.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      tag = tf.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
      value = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      write = tf.summary.writeScalarSummary(writer, step, tag, value);
      // One RGB image [1, h, w, 3] per call; TensorBoard shows it under tag/image/0.
      pixels = tf.placeholder(TUint8.class, Placeholder.shape(Shape.of(1, -1, -1, 3)));
      writeImage =
          tf.summary.writeImageSummary(
              writer,
              step,
              tag,
              pixels,
              tf.constant(new byte[] {(byte) 255, 0, 0}),
              WriteImageSummary.maxImages(1L));
      flush = tf.summary.flushSummaryWriter(writer);
      closeOp = tf.summary.closeSummaryWriter(writer);
      session = new Session(graph);
      session.run(create);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * Records a scalar.
   *
   * @param name the tag, e.g. {@code train/loss}
   * @param atStep the step it belongs to
   * @param v its value
   */
  public synchronized void scalar(String name, long atStep, double v) {
    try (TInt64 s = TInt64.scalarOf(atStep);
        TString t = TString.scalarOf(name);
        TFloat32 x = TFloat32.scalarOf((float) v)) {
      session.runner().feed(step, s).feed(tag, t).feed(value, x).addTarget(write).run().close();
    }
  }

  /**
   * Records an image (PNG-encoded by TensorFlow into the event file).
   *
   * @param name the tag, e.g. {@code token_maps/example_0}
   * @param atStep the step it belongs to
   * @param image the picture; its RGB is written, alpha dropped
   */
  public synchronized void image(String name, long atStep, BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] rgb = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = image.getRGB(x, y);
        int at = (y * w + x) * 3;
        rgb[at] = (byte) (p >> 16);
        rgb[at + 1] = (byte) (p >> 8);
        rgb[at + 2] = (byte) p;
      }
    }
    try (TInt64 s = TInt64.scalarOf(atStep);
        TString t = TString.scalarOf(name);
        TUint8 px = TUint8.tensorOf(Shape.of(1, h, w, 3), DataBuffers.of(rgb, true, false))) {
      session
          .runner()
          .feed(step, s)
          .feed(tag, t)
          .feed(pixels, px)
          .addTarget(writeImage)
          .run()
          .close();
    }
  }

  /** Writes buffered events to disk. */
  public synchronized void flush() {
    session.run(flush);
  }

  /** Flushes and closes the event file. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      session.run(flush);
      session.run(closeOp);
    } finally {
      session.close();
      graph.close();
    }
  }
}
