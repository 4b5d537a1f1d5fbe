package dev.tokenlearner.graph;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Scope;
import org.tensorflow.op.core.EnsureShape;
import org.tensorflow.proto.DataType;

/**
 * Runs part of a graph as one XLA computation, as {@code tf.function(jit_compile=True)} does: the
 * ops that compute {@code outputs} from {@code inputs} are copied into a graph function, and a
 * {@code (Stateful)PartitionedCall} with {@code _XlaMustCompile=true} calls it. TensorFlow then
 * compiles the whole function with XLA on first use and once per new input shape (so a new batch
 * size recompiles; callers pad partial batches to avoid it).
 *
 * <p>Variables cannot be part of an XLA computation (reference-typed {@code VariableV2}), so {@code
 * inputs} must cut the graph below them: pass each parameter's read ({@code Parameter.value()}) as
 * an input and keep variable updates outside, fed by the call's outputs. The original ops stay in
 * the graph; fetching the call's outputs instead of theirs is what moves the computation into XLA.
 */
public final class XlaFunction {

  /** The call-site attribute that makes TensorFlow compile the whole function with XLA. */
  public static final String MUST_COMPILE_ATTR = "_XlaMustCompile";

  private XlaFunction() {}

  /**
   * Extracts the computation of {@code outputs} from {@code inputs} into a function and adds an
   * XLA-compiled call of it to the graph.
   *
   * @param scope where to add the call (its name scope and control dependencies apply)
   * @param name the function's and the call op's base name
   * @param inputs distinct tensors that cut the graph: every path from an output back to a
   *     placeholder or variable passes through one of them
   * @param outputs the tensors to compute
   * @return the call's outputs, one per entry of {@code outputs} with the same type and shape
   * @throws IllegalArgumentException if the inputs repeat or do not cut the graph (the message
   *     names the placeholder reached)
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static List<Output<?>> call(
      Scope scope,
      String name,
      List<? extends Operand<?>> inputs,
      List<? extends Operand<?>> outputs) {
    Graph graph = (Graph) scope.env();
    Set<Output<?>> seen = new HashSet<>();
    for (Operand<?> in : inputs) {
      if (!seen.add(in.asOutput())) {
        throw new IllegalArgumentException(name + ": input " + in.asOutput() + " given twice");
      }
    }
    Signature.Builder sig = Signature.builder().key(name);
    for (int i = 0; i < inputs.size(); i++) {
      sig.input("in_" + i, inputs.get(i));
    }
    for (int i = 0; i < outputs.size(); i++) {
      sig.output("out_" + i, outputs.get(i));
    }
    ConcreteFunction function = ConcreteFunction.create(sig.build(), graph);
    graph.attachFunction(function);
    String type = function.isStateful() ? "StatefulPartitionedCall" : "PartitionedCall";
    GraphOperationBuilder b = graph.opBuilder(type, scope.makeOpName(name), scope);
    b.addInputList(inputs.stream().map(Operand::asOutput).toArray(Output<?>[]::new));
    b.setAttr("Tin", types(inputs));
    b.setAttr("Tout", types(outputs));
    b.setAttr("f", function);
    b.setAttr(MUST_COMPILE_ATTR, true);
    GraphOperation op = b.build();
    List<Output<?>> results = new ArrayList<>(outputs.size());
    for (int i = 0; i < outputs.size(); i++) {
      // A call's outputs have no static shape; restore the known one for the ops built on them.
      Shape shape = outputs.get(i).asOutput().shape();
      Output<?> out = op.output(i);
      results.add(
          shape.isUnknown() ? out : EnsureShape.create(scope, (Output) out, shape).output());
    }
    return results;
  }

  private static DataType[] types(List<? extends Operand<?>> operands) {
    return operands.stream().map(o -> o.asOutput().dataType()).toArray(DataType[]::new);
  }
}
