package dev.tokenlearner.graph.flops;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;

/**
 * FLOPs read off a built graph: every op the output depends on, costed from its static shapes.
 *
 * <p>This is the independent check of {@link FlopCounter}: the analytic count follows the model's
 * definition, this one follows what was actually emitted. Matrix products and convolutions count 2
 * FLOPs per multiply-add; element-wise ops one per output element ({@code Softmax} five, {@code
 * Tanh}/{@code Sigmoid} as in {@link FlopCounter}); reductions one per input element; reshapes,
 * transposes and reads none. Build the graph with a static batch so all shapes are known.
 */
public final class GraphFlops {

  private static final Set<String> ELEMENTWISE =
      Set.of(
          "Add", "AddV2", "BiasAdd", "Sub", "Mul", "RealDiv", "Div", "Maximum", "Rsqrt", "Exp",
          "Neg", "Square");
  private static final Set<String> REDUCTIONS = Set.of("Mean", "Sum", "Max");
  private static final Set<String> FREE =
      Set.of(
          "Identity",
          "VariableV2",
          "Const",
          "Placeholder",
          "Reshape",
          "Transpose",
          "Shape",
          "StridedSlice",
          "ConcatV2",
          "Pack",
          "GatherV2",
          "ExpandDims",
          "Squeeze",
          "Cast");

  private GraphFlops() {}

  /**
   * Counts the FLOPs of computing {@code output}.
   *
   * @param output the tensor whose cost is wanted (e.g. the logits)
   * @return FLOPs for the whole (static) batch
   * @throws IllegalArgumentException if a costed op has an unknown shape or an unknown type
   */
  public static long count(Operand<?> output) {
    Set<String> seen = new HashSet<>();
    Deque<GraphOperation> todo = new ArrayDeque<>();
    todo.add((GraphOperation) output.op());
    long total = 0;
    while (!todo.isEmpty()) {
      GraphOperation op = todo.pop();
      if (!seen.add(op.name())) {
        continue;
      }
      total += cost(op);
      for (int i = 0; i < op.numInputs(); i++) {
        todo.add((GraphOperation) op.input(i).op());
      }
    }
    return total;
  }

  private static long cost(GraphOperation op) {
    String type = op.type();
    if (FREE.contains(type)) {
      return 0;
    }
    long[] out = shape(op, op.output(0));
    return switch (type) {
      case "MatMul" -> {
        long[] a = shape(op, op.input(0));
        yield 2L * out[0] * out[1] * a[1];
      }
      case "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3" -> {
        long[] a = shape(op, op.input(0));
        boolean adjX = op.attributes().getAttrBool("adj_x");
        long inner = adjX ? a[a.length - 2] : a[a.length - 1];
        yield 2L * size(out) * inner;
      }
      case "Conv2D", "Conv3D" -> {
        long[] k = shape(op, op.input(1));
        long window = 1;
        for (int i = 0; i < k.length - 1; i++) {
          window *= k[i];
        }
        yield 2L * size(out) * window;
      }
      case "Softmax" -> (long) FlopCounter.SOFTMAX_FLOPS * size(out);
      case "Tanh" -> (long) FlopCounter.TANH_FLOPS * size(out);
      case "Sigmoid" -> (long) FlopCounter.SIGMOID_FLOPS * size(out);
      default -> {
        if (ELEMENTWISE.contains(type)) {
          yield size(out);
        }
        if (REDUCTIONS.contains(type)) {
          yield size(shape(op, op.input(0)));
        }
        throw new IllegalArgumentException("no FLOP rule for op " + op.name() + " of type " + type);
      }
    };
  }

  private static long[] shape(GraphOperation op, Output<?> o) {
    long[] s = o.shape().asArray();
    for (long d : s) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "op "
                + op.name()
                + " has an unknown dimension in "
                + o.shape()
                + "; build with a static batch");
      }
    }
    return s;
  }

  private static long size(long[] s) {
    long n = 1;
    for (long d : s) {
      n *= d;
    }
    return n;
  }
}
