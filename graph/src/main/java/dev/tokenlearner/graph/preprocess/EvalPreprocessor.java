package dev.tokenlearner.graph.preprocess;

import java.io.IOException;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * Runs {@link EvalPreprocessing} from Java: one small graph and session, fed one encoded image at a
 * time. Safe to call from several threads (TF sessions are); close it to free the native graph.
 */
public final class EvalPreprocessor implements AutoCloseable {

  private final EvalPreprocessing spec;
  private final Graph graph;
  private final Session session;
  private final Placeholder<TString> encoded;
  private final Operand<TFloat32> output;

  /**
   * Builds the graph.
   *
   * @param spec the preprocessing
   */
  public EvalPreprocessor(EvalPreprocessing spec) {
    this.spec = spec;
    this.graph = new Graph();
    Ops tf = Ops.create(graph);
    this.encoded = tf.withName("encoded").placeholder(TString.class);
    this.output = tf.withName("preprocessed").identity(spec.apply(tf, encoded));
    this.session = new Session(graph);
  }

  /**
   * Returns the preprocessing this runs.
   *
   * @return the spec
   */
  public EvalPreprocessing spec() {
    return spec;
  }

  /**
   * Floats per output image.
   *
   * @return {@code H * W * C}
   */
  public int outputSize() {
    return spec.height() * spec.width() * spec.channels();
  }

  /**
   * Preprocesses one encoded image into {@code dst}.
   *
   * @param bytes the encoded image (JPEG, PNG, GIF or BMP)
   * @param what the file or record, for messages
   * @param dst destination, {@code [H, W, C]} float32 in C order
   * @param offset first float in {@code dst}
   * @throws IOException naming {@code what} if the bytes are not a decodable image
   */
  public void run(byte[] bytes, String what, float[] dst, int offset) throws IOException {
    try (TString in = TString.tensorOfBytes(NdArrays.scalarOfObject(bytes));
        Result r = session.runner().feed(encoded, in).fetch(output).run()) {
      ((TFloat32) r.get(0)).copyTo(DataBuffers.of(dst, false, false).slice(offset, outputSize()));
    } catch (TFInvalidArgumentException e) {
      throw new IOException(what + ": cannot decode image: " + firstLine(e.getMessage()), e);
    }
  }

  /**
   * Preprocesses one encoded image.
   *
   * @param bytes the encoded image
   * @param what the file or record, for messages
   * @return {@code [H, W, C]} float32 in C order
   * @throws IOException naming {@code what} if the bytes are not a decodable image
   */
  public float[] run(byte[] bytes, String what) throws IOException {
    float[] out = new float[outputSize()];
    run(bytes, what, out, 0);
    return out;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
