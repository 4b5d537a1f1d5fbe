package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.graph.XlaCut;
import dev.tokenlearner.graph.XlaFunction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * XLA-compiled versions of a loaded SavedModel's signatures, added to its graph: for each
 * signature, the ops from its input (or from the decoded images, for {@code serving_bytes}) and the
 * variable reads to its outputs become one function called with {@code _XlaMustCompile} ({@link
 * XlaFunction}, inputs found by {@link XlaCut}). The plain ops stay in the graph, so fetching the
 * signature's own tensors still runs them uncompiled.
 */
final class CompiledSignatures {

  private final Map<String, Map<String, Output<?>>> outputs;
  private final Map<String, String> skipped;

  private CompiledSignatures(
      Map<String, Map<String, Output<?>>> outputs, Map<String, String> skipped) {
    this.outputs = outputs;
    this.skipped = skipped;
  }

  /**
   * Adds a compiled call per signature to {@code graph}; a signature whose computation XLA cannot
   * take (see {@link XlaCut}) stays plain and is listed by {@link #skipped()}.
   *
   * @param graph the loaded graph (a session on it picks the new ops up on its next run)
   * @param defs the signatures by key
   * @return the compiled outputs
   */
  static CompiledSignatures add(Graph graph, Map<String, SignatureDef> defs) {
    Ops tf = Ops.create(graph).withSubScope("xla_serving");
    Map<String, Map<String, Output<?>>> compiled = new HashMap<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (String key : defs.keySet().stream().sorted().toList()) {
      Map<String, TensorInfo> infos = defs.get(key).getOutputsMap();
      List<String> names = infos.keySet().stream().sorted().toList();
      List<Output<?>> targets = new ArrayList<>();
      try {
        for (String name : names) {
          targets.add(graph.outputOrThrow(infos.get(name).getName()));
        }
        List<Output<?>> called = XlaFunction.call(tf.scope(), key, XlaCut.inputs(targets), targets);
        Map<String, Output<?>> byName = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
          byName.put(names.get(i), called.get(i));
        }
        compiled.put(key, byName);
      } catch (IllegalArgumentException | TensorFlowException e) {
        skipped.put(key, String.valueOf(e.getMessage()));
      }
    }
    return new CompiledSignatures(Map.copyOf(compiled), skipped);
  }

  /**
   * The compiled outputs of a signature.
   *
   * @param signature the signature key
   * @return output key to the compiled call's tensor; empty if the signature stays plain
   */
  Optional<Map<String, Output<?>>> outputs(String signature) {
    return Optional.ofNullable(outputs.get(signature));
  }

  /**
   * The signatures left plain, with the reason.
   *
   * @return signature key to why XLA could not take it
   */
  Map<String, String> skipped() {
    return skipped;
  }
}
