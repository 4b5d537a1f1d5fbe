package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.ParameterStore;
import java.util.Map;
import org.tensorflow.Session;

/**
 * Gives an export graph's parameters their values. Called once, after the graph is built and before
 * anything is written; a loader that throws leaves no trace on disk.
 */
@FunctionalInterface
public interface WeightLoader {

  /**
   * Initialises and assigns every parameter of {@code store}.
   *
   * @param session a fresh session on the store's graph
   * @param store the graph's parameters
   */
  void load(Session session, ParameterStore store);

  /**
   * Assigns exactly the given values ({@link dev.tokenlearner.ops.WeightIo#load}: every parameter
   * by path, with its shape, nothing extra).
   *
   * @param values parameter values keyed by Flax path
   * @return the loader
   */
  static WeightLoader exactly(Map<String, HostArray> values) {
    return (session, store) -> {
      session.initialize();
      store.weights().load(session, values);
    };
  }
}
