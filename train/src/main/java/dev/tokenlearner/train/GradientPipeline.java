package dev.tokenlearner.train;

import dev.tokenlearner.config.AllReduceConfig;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.XlaFunction;
import dev.tokenlearner.ops.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * The middle of Scenic's {@code train_step}, from the objective to the gradients the update
 * applies, as stages built in this order:
 *
 * <ol>
 *   <li>loss scale ({@code scaled}): float16 only, the loss times the dynamic {@link LossScale};
 *   <li>gradients: {@code d loss / d w} for every parameter ({@code jax.value_and_grad});
 *   <li>unscale: divided by the loss scale again;
 *   <li>aggregate: the caller's combination over local towers ({@link
 *       TrainStep.Builder#gradientAggregator});
 *   <li>all-reduce ({@code allReduced}): the mean over the data-parallel {@link Replication
 *       replicas} of the gradients, the loss and the correct count ({@code jax.lax.pmean}), in
 *       buckets ({@link BucketedAllReduce}), or with {@code allreduce_impl: ring} by the host ring
 *       between two session runs ({@link HostAllReduce});
 *   <li>norm and clip: the global norm (reported; Scenic logs it as {@code l2_grads}) and {@code
 *       clip_grads} with {@code max_grad_norm};
 *   <li>XLA ({@code compiled}): optionally, all of the above plus the forward pass as one XLA
 *       computation.
 * </ol>
 *
 * <p>Each stage maps {@link Values} to {@link Values}, so a stage can be replaced or one inserted
 * without touching the others.
 */
final class GradientPipeline {

  /**
   * Loss, correct count and one gradient per parameter (in {@code ParameterStore} order), as they
   * pass from stage to stage.
   *
   * @param loss float32 scalar
   * @param correct float32 scalar count
   * @param gradients one per parameter, each of its parameter's shape
   */
  record Values(
      Operand<TFloat32> loss, Operand<TFloat32> correct, List<Operand<TFloat32>> gradients) {
    Values {
      gradients = List.copyOf(gradients);
    }

    Values withGradients(List<Operand<TFloat32>> g) {
      return new Values(loss, correct, g);
    }
  }

  /**
   * What the pipeline hands the step.
   *
   * @param raw the symbolic gradients of the (scaled) loss, as the backward pass gives them
   * @param values the loss and correct count the step reports ({@code train/loss}, {@code
   *     train/correct}) and the clipped gradients the update applies
   * @param globalNorm the gradients' global norm before clipping ({@code train/grad_norm})
   */
  record Result(List<Output<TFloat32>> raw, Values values, Operand<TFloat32> globalNorm) {}

  private final Function<List<Operand<TFloat32>>, List<Operand<TFloat32>>> aggregator;
  private final Replication replication;
  private final OptionalDouble maxGradNorm;
  private final boolean xla;
  private final AllReduceConfig allReduce;
  private final Optional<HostAllReduce> host;

  /**
   * The pipeline's settings.
   *
   * @param source the experiment's name, for messages
   * @param aggregator combines the raw gradients over local towers; must return one per parameter
   * @param replication how the replicas average
   * @param maxGradNorm {@code max_grad_norm}, empty for no clipping
   * @param xla whether to compile forward, backward and clipping as one XLA computation
   * @param allReduce the all-reduce's bucket size and wire dtype
   * @param host the host ring all-reduce that replaces the collectives, if any
   * @throws InvalidInputException if XLA is asked for with several replicas
   */
  GradientPipeline(
      String source,
      Function<List<Operand<TFloat32>>, List<Operand<TFloat32>>> aggregator,
      Replication replication,
      OptionalDouble maxGradNorm,
      boolean xla,
      AllReduceConfig allReduce,
      Optional<HostAllReduce> host) {
    if (xla) {
      checkXla(source, replication);
    }
    this.aggregator = aggregator;
    this.replication = replication;
    this.maxGradNorm = maxGradNorm;
    this.xla = xla;
    this.allReduce = allReduce;
    this.host = host;
  }

  /**
   * Checks that a step compiled with XLA runs on one replica.
   *
   * @throws InvalidInputException if there are several replicas
   */
  static void checkXla(String source, Replication replication) {
    if (replication.replicas() > 1) {
      // The all-reduce sits between the gradients and clipping, which XLA compiles as one.
      throw new InvalidInputException(
          source + ": jit (XLA) is not supported with several replicas; train without jit");
    }
  }

  /**
   * Builds every stage.
   *
   * @param tf the graph's root ops
   * @param t the training step's sub-scope ({@code train})
   * @param objective the loss and correct count
   * @param params the parameters to differentiate by
   * @param feeds the step's placeholders (images, labels, dropout key, mixup weight): with {@code
   *     xla}, the compiled computation's inputs besides the parameters and loss scale
   * @param lossScale the float16 loss scale, empty for other dtypes
   * @return the reported values, the clipped gradients and the norm
   * @throws IllegalStateException if a parameter gets no gradient or the aggregator returns another
   *     number of gradients
   */
  Result build(
      Ops tf,
      Ops t,
      Objective objective,
      List<Parameter> params,
      List<Operand<?>> feeds,
      Optional<LossScale> lossScale) {
    List<Output<TFloat32>> raw = gradients(tf, scaled(t, objective.loss(), lossScale), params);
    Values v = new Values(objective.loss(), objective.correct(), unscaled(t, raw, lossScale));
    v = aggregated(v);
    v = allReduced(tf, t, v);
    Operand<TFloat32> norm = globalNorm(t, v.gradients());
    v = clipped(t, v, norm);
    if (xla) {
      List<Operand<?>> inputs = new ArrayList<>(feeds);
      params.forEach(p -> inputs.add(p.value()));
      // The loss scale is an argument of the compiled step, like the parameters.
      lossScale.ifPresent(ls -> inputs.add(ls.scale()));
      Result compiled = compiled(t, inputs, v, norm);
      v = compiled.values();
      norm = compiled.globalNorm();
    }
    return new Result(
        raw,
        new Values(
            t.withName("loss").identity(v.loss()),
            t.withName("correct").identity(v.correct()),
            v.gradients()),
        t.withName("grad_norm").identity(norm));
  }

  /** The loss the gradients are taken of: times the loss scale under float16. */
  private static Operand<TFloat32> scaled(
      Ops t, Operand<TFloat32> loss, Optional<LossScale> lossScale) {
    return lossScale.isEmpty() ? loss : lossScale.get().scaled(t, loss, lossScale.get().scale());
  }

  /** Symbolic gradients of {@code loss}, one per parameter. */
  private static List<Output<TFloat32>> gradients(
      Ops tf, Operand<TFloat32> loss, List<Parameter> params) {
    List<Operand<TFloat32>> values = params.stream().map(Parameter::value).toList();
    Gradients g = Gradients.create(tf.withSubScope("gradients").scope(), loss, values);
    List<Output<TFloat32>> out = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      Output<TFloat32> dy = g.dy(i);
      if (dy == null) {
        throw new IllegalStateException(
            "parameter " + params.get(i).path() + " gets no gradient from the loss");
      }
      out.add(dy);
    }
    return out;
  }

  /** The gradients of the unscaled loss. */
  private static List<Operand<TFloat32>> unscaled(
      Ops t, List<Output<TFloat32>> raw, Optional<LossScale> lossScale) {
    return lossScale.isEmpty()
        ? List.copyOf(raw)
        : lossScale.get().unscaled(t.withSubScope("loss_scale"), raw, lossScale.get().scale());
  }

  /** The caller's aggregation over local towers. */
  private Values aggregated(Values v) {
    List<Operand<TFloat32>> out = List.copyOf(aggregator.apply(v.gradients()));
    if (out.size() != v.gradients().size()) {
      throw new IllegalStateException(
          "the gradient aggregator returned "
              + out.size()
              + " gradients for "
              + v.gradients().size()
              + " parameters");
    }
    return v.withGradients(out);
  }

  /**
   * Data parallelism: the mean over the replicas of their shard's gradients, loss and correct count
   * is what one process computes on the whole global batch (equal shards). They travel in buckets
   * ({@link BucketedAllReduce}): loss and correct count first (known before the backward pass),
   * then the gradients last parameter first, the order the backward pass produces them.
   */
  private Values allReduced(Ops tf, Ops t, Values v) {
    if (replication.replicas() <= 1) {
      return v;
    }
    Ops r = tf.withSubScope("replicas");
    int n = v.gradients().size();
    List<Operand<TFloat32>> metrics = List.of(v.loss(), v.correct());
    List<Operand<TFloat32>> mean;
    List<Operand<TFloat32>> grads;
    if (host.isPresent()) {
      Values m = host.get().build(r, v);
      mean = List.of(m.loss(), m.correct());
      grads = reversed(m.gradients());
    } else if (allReduce.bfloat16()) {
      // Loss and count stay float32: bfloat16 would round what the step reports.
      mean = replication.allReduceMean(r, metrics);
      grads =
          new BucketedAllReduce(replication, allReduce.bucketBytes(), true)
              .allReduceMean(r, reversed(v.gradients()));
    } else {
      List<Operand<TFloat32>> shard = new ArrayList<>(metrics);
      shard.addAll(reversed(v.gradients()));
      List<Operand<TFloat32>> all =
          new BucketedAllReduce(replication, allReduce.bucketBytes()).allReduceMean(r, shard);
      mean = all.subList(0, 2);
      grads = all.subList(2, n + 2);
    }
    return new Values(
        mean.get(0),
        // The global batch's count, not the mean of the shards'.
        t.math.mul(mean.get(1), t.constant((float) replication.replicas())),
        reversed(grads));
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> out = new ArrayList<>(list);
    java.util.Collections.reverse(out);
    return out;
  }

  /** The global norm, {@code sqrt(sum_i |g_i|^2)}. */
  private static Operand<TFloat32> globalNorm(Ops t, List<Operand<TFloat32>> gradients) {
    return t.math.sqrt(Losses.sumOfSquares(t, gradients));
  }

  /** Scenic's {@code clip_grads}: {@code g} if {@code norm < max}, else {@code g * max / norm}. */
  private Values clipped(Ops t, Values v, Operand<TFloat32> norm) {
    if (maxGradNorm.isEmpty()) {
      return v;
    }
    Operand<TFloat32> max = t.constant((float) maxGradNorm.getAsDouble());
    Operand<TFloat32> factor =
        t.select(t.math.less(norm, max), t.constant(1f), t.math.div(max, norm));
    List<Operand<TFloat32>> out = new ArrayList<>();
    v.gradients().forEach(g -> out.add(t.math.mul(g, factor)));
    return v.withGradients(out);
  }

  /**
   * Forward, loss, backward and clipping as one XLA computation ({@link XlaFunction}) from the
   * feeds and the parameters' reads; the update stays outside and reads the call's outputs.
   */
  private static Result compiled(Ops t, List<Operand<?>> inputs, Values v, Operand<TFloat32> norm) {
    List<Operand<?>> outs = new ArrayList<>(List.of(v.loss(), v.correct(), norm));
    outs.addAll(v.gradients());
    List<Output<?>> called = XlaFunction.call(t.scope(), "xla_train_step", inputs, outs);
    List<Operand<TFloat32>> grads = new ArrayList<>();
    for (int i = 3; i < called.size(); i++) {
      grads.add(floats(called.get(i)));
    }
    return new Result(
        List.of(),
        new Values(floats(called.get(0)), floats(called.get(1)), grads),
        floats(called.get(2)));
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> floats(Output<?> out) {
    return (Output<TFloat32>) out;
  }
}
