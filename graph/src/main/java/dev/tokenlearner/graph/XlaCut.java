package dev.tokenlearner.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.proto.DataType;

/**
 * Finds where the XLA part of an already built graph (a loaded SavedModel) starts: the tensors that
 * {@link XlaFunction#call} takes as inputs when it compiles the computation of some outputs.
 *
 * <p>Walking back from the outputs, a tensor becomes an input when its op cannot be part of an XLA
 * computation: a placeholder, a variable read ({@code Identity} of a {@code VariableV2}, or {@code
 * ReadVariableOp}), or a host op that takes or returns strings or runs a per-example function
 * ({@code MapDefun}, as the image decoding of {@code serving_bytes} does). Everything between those
 * and the outputs is compiled.
 */
public final class XlaCut {

  private static final Set<String> VARIABLES = Set.of("VariableV2", "Variable", "VarHandleOp");
  private static final Set<String> HOST_OPS = Set.of("MapDefun", "While", "StatelessWhile");
  private static final Set<DataType> HOST_TYPES =
      Set.of(DataType.DT_STRING, DataType.DT_VARIANT, DataType.DT_RESOURCE);

  private XlaCut() {}

  /**
   * The inputs of the XLA computation of {@code outputs}.
   *
   * @param outputs tensors computed by the graph
   * @return distinct tensors, in the order first reached; every path from an output back to a
   *     placeholder or variable passes through one of them
   * @throws IllegalArgumentException if an output is itself not computable by XLA, or a variable is
   *     used other than through a read
   */
  public static List<Output<?>> inputs(List<? extends Operand<?>> outputs) {
    Set<Output<?>> cut = new LinkedHashSet<>();
    Set<GraphOperation> visited = new HashSet<>();
    Deque<GraphOperation> pending = new ArrayDeque<>();
    for (Operand<?> o : outputs) {
      GraphOperation op = (GraphOperation) o.op();
      if (isBoundary(op)) {
        throw new IllegalArgumentException(
            "output " + o.asOutput() + " is computed by " + op.type() + ", not by XLA");
      }
      if (visited.add(op)) {
        pending.push(op);
      }
    }
    while (!pending.isEmpty()) {
      GraphOperation op = pending.pop();
      for (int i = 0; i < op.numInputs(); i++) {
        Output<?> in = op.input(i);
        GraphOperation producer = (GraphOperation) in.op();
        if (VARIABLES.contains(producer.type())) {
          throw new IllegalArgumentException(
              op.type() + " " + op.name() + " uses variable " + producer.name() + " directly");
        }
        if (isBoundary(producer)) {
          cut.add(in);
        } else if (visited.add(producer)) {
          pending.push(producer);
        }
      }
    }
    return new ArrayList<>(cut);
  }

  /** Whether an op's outputs are inputs of the computation rather than part of it. */
  private static boolean isBoundary(GraphOperation op) {
    String type = op.type();
    if (type.startsWith("Placeholder")
        || type.equals("ReadVariableOp")
        || HOST_OPS.contains(type)) {
      return true;
    }
    if (type.equals("Identity")
        && op.numInputs() == 1
        && VARIABLES.contains(op.input(0).op().type())) {
      return true;
    }
    for (int i = 0; i < op.numInputs(); i++) {
      if (HOST_TYPES.contains(op.input(i).dataType())) {
        return true;
      }
    }
    for (int i = 0; i < op.numOutputs(); i++) {
      if (HOST_TYPES.contains(op.output(i).dataType())) {
        return true;
      }
    }
    return false;
  }
}
