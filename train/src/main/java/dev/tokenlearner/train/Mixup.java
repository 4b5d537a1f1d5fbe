package dev.tokenlearner.train;

import dev.tokenlearner.config.MixupConfig;
import dev.tokenlearner.train.data.TrainOrder;
import java.util.SplittableRandom;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Scenic's mixup ({@code dataset_utils.mixup}) in the training graph, after normalisation: with one
 * {@code lam ~ Beta(alpha, alpha)} per batch, images become {@code lam * x + (1 - lam) * x[::-1]}
 * (reversed along the batch axis) and one-hot targets {@code lam * t + (1 - lam) * t[::-1]}, before
 * label smoothing, as Scenic's loss smooths the mixed labels.
 *
 * <p>{@code lam} is fed per step ({@value #LAMBDA}), drawn on the host by {@link #lambda} from
 * (seed, step) alone, so a resumed run mixes exactly as an uninterrupted one.
 */
public final class Mixup {

  /** Name of the scalar float32 placeholder of the step's mixing weight. */
  public static final String LAMBDA = "mixup_lambda";

  private static final long STREAM = 0x6D69_7875_705F_6C6DL;

  private final double alpha;
  private final boolean perReplica;
  private Placeholder<TFloat32> lambda;

  /**
   * Mixup for a config.
   *
   * @param config the {@code mixup} block
   */
  Mixup(MixupConfig config) {
    this.alpha = config.alpha();
    this.perReplica = config.perReplica();
  }

  /**
   * The mixing weight of a step: {@code Beta(alpha, alpha)} from a stream that depends only on
   * {@code (seed, step)}.
   *
   * @param alpha the Beta parameter, positive
   * @param seed the run's (replica's) seed
   * @param step the step
   * @return {@code lam} in {@code [0, 1]}
   */
  public static float lambda(double alpha, long seed, long step) {
    SplittableRandom r = new SplittableRandom(TrainOrder.mix(TrainOrder.mix(seed, STREAM), step));
    // Beta(a, a) = X / (X + Y) with X, Y ~ Gamma(a); in logs, so tiny alphas do not underflow.
    double x = logGamma(alpha, r);
    double y = logGamma(alpha, r);
    return (float) (1 / (1 + Math.exp(y - x)));
  }

  /** The log of a Gamma(a, 1) sample (Marsaglia and Tsang; boosted by U^(1/a) for a < 1). */
  static double logGamma(double a, SplittableRandom r) {
    if (a < 1) {
      return logGamma(a + 1, r) + Math.log(uniformOpen(r)) / a;
    }
    double d = a - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double z = gaussian(r);
      double v = 1 + c * z;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      if (Math.log(uniformOpen(r)) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
        return Math.log(d) + Math.log(v);
      }
    }
  }

  /** A uniform in (0, 1). */
  private static double uniformOpen(SplittableRandom r) {
    double u;
    do {
      u = r.nextDouble();
    } while (u == 0);
    return u;
  }

  /** A standard normal (Box-Muller; written out so the stream does not depend on the JDK). */
  private static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(uniformOpen(r))) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  /**
   * The mixing weight of a step on one replica.
   *
   * @param seed the run's {@code rng_seed}
   * @param replicaSeed the replica's seed ({@link Replication#dropoutSeed})
   * @param step the step
   * @return {@code lam}: per replica, or one for all replicas with {@code bind_to: null}
   */
  float lambda(long seed, long replicaSeed, long step) {
    return lambda(alpha, perReplica ? replicaSeed : seed, step);
  }

  /**
   * Mixes a batch of images with itself reversed; adds the {@value #LAMBDA} placeholder.
   *
   * @param tf where to build
   * @param images {@code [b, ...]} normalised model inputs
   * @return the mixed images, same shape
   */
  Operand<TFloat32> mixImages(Ops tf, Operand<TFloat32> images) {
    lambda = tf.withName(LAMBDA).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    return mix(tf, images);
  }

  /**
   * Mixes a batch of targets with itself reversed, with the same weight as the images.
   *
   * @param tf where to build
   * @param targets {@code [b, num_classes]} one-hot targets
   * @return the mixed targets
   */
  Operand<TFloat32> mixTargets(Ops tf, Operand<TFloat32> targets) {
    return mix(tf, targets);
  }

  private Operand<TFloat32> mix(Ops tf, Operand<TFloat32> x) {
    if (lambda == null) {
      throw new IllegalStateException("mixImages builds the " + LAMBDA + " placeholder first");
    }
    Operand<TFloat32> reversed = tf.reverse(x, tf.constant(new int[] {0}));
    return tf.math.add(
        tf.math.mul(lambda, x), tf.math.mul(tf.math.sub(tf.constant(1f), lambda), reversed));
  }

  /**
   * The step's weight placeholder.
   *
   * @throws IllegalStateException before {@link #mixImages}
   */
  Placeholder<TFloat32> lambda() {
    if (lambda == null) {
      throw new IllegalStateException("mixImages builds the " + LAMBDA + " placeholder first");
    }
    return lambda;
  }
}
