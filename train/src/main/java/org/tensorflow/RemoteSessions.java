package org.tensorflow;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetConfig;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetTarget;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.ConfigProto;

/**
 * Sessions that run on a TensorFlow server ({@code grpc://host:port}) instead of in-process.
 *
 * <p>TensorFlow Java 1.1 has no public way to give a {@link Session} a target: its constructors
 * ignore it. This class calls the C API's {@code TF_SetTarget} and wraps the native session with
 * the package-private constructor, which is why it lives in package {@code org.tensorflow} (fine on
 * the class path, where split packages are allowed).
 */
public final class RemoteSessions {

  private RemoteSessions() {}

  /**
   * Opens a session on a server.
   *
   * <p>The session does not run initializers by itself: call {@link Session#initialize()} before
   * the first step. Do not close it after a failed collective or RPC: {@code close()} waits until
   * every peer of the cluster answers again.
   *
   * @param graph the graph to run
   * @param target the master to talk to, e.g. {@code grpc://127.0.0.1:2222}
   * @param config session options (device filters, threads)
   * @return the session; the caller closes it
   * @throws org.tensorflow.exceptions.TensorFlowException if TensorFlow rejects the target or
   *     config
   */
  public static Session open(Graph graph, String target, ConfigProto config) {
    try (Graph.Reference ref = graph.ref();
        PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      TF_SessionOptions options = TF_SessionOptions.newSessionOptions();
      TF_SetTarget(options, target);
      BytePointer bytes = new BytePointer(config.toByteArray());
      TF_SetConfig(options, bytes, bytes.capacity(), status);
      status.throwExceptionIfNotOK();
      TF_Session session = TF_Session.newSession(ref.nativeHandle(), options, status);
      status.throwExceptionIfNotOK();
      return new Session(graph, session.retainReference());
    }
  }
}
