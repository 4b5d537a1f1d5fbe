package dev.tokenlearner.train.summary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.summary.SummaryWriter;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Writes TensorBoard scalar summaries with TensorFlow's own summary ops ({@code
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
