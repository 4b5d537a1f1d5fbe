/**
 * Data-parallel training on TensorFlow's own distributed runtime, MultiWorkerMirrored style: every
 * replica (a task of a cluster, or one of several in-process tasks) builds the whole training
 * graph, runs it in a session on its own {@link org.tensorflow.Server}, averages its gradients with
 * the others through one packed {@code CollectiveReduce} per step, and starts from the chief's
 * weights, broadcast once with {@code CollectiveBcastSend/Recv}. No parameter servers.
 *
 * <p>Security: TensorFlow's gRPC server listens on all interfaces, without authentication or
 * encryption. Run clusters only on a private network (a Kubernetes namespace with a network policy,
 * a firewalled subnet), never on a host reachable by untrusted peers.
 */
package dev.tokenlearner.train.distributed;
