package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.graph.config.Normalization;
import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Evaluation preprocessing of one encoded image as graph ops: decode, resize so the shorter side
 * is {@code size / CROP_FRACTION}, take the centred {@code height x width} crop with bilinear
 * sampling (half-pixel centres), and normalise the {@code 0..255} values.
 *
 * <p>The sampling grid is computed as the trainer's evaluation computes it: output pixel {@code i}
 * reads source coordinate {@code (y0 + i + 0.5) * scale - 0.5}, clamped to the image, where {@code
 * scale} is source pixels per resized pixel and {@code y0} is half the spare resized rows. The
 * coordinates are computed in float64, the pixel blend in float32.
 */
final class CentreCropPreprocessing implements EncodedImages.PerImage {

  /** Fraction of the resized shorter side the crop covers (ImageNet's usual 224/256). */
  static final double CROP_FRACTION = 0.875;

  private final int height;
  private final int width;
  private final int channels;
  private final Normalization normalization;

  CentreCropPreprocessing(int height, int width, int channels, Normalization normalization) {
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.normalization = Objects.requireNonNull(normalization, "normalization");
  }

  @Override
  public Operand<TFloat32> apply(Ops tf, Operand<TString> encoded) {
    Operand<TUint8> decoded =
        tf.image.decodeImage(
            encoded,
            TUint8.class,
            DecodeImage.channels((long) channels),
            DecodeImage.expandAnimations(false));
    Operand<TFloat32> img = tf.dtypes.cast(decoded, TFloat32.class);
    Operand<TInt32> shape = tf.shape(decoded);
    Operand<TFloat64> h = tf.dtypes.cast(tf.gather(shape, tf.constant(0), tf.constant(0)),
        TFloat64.class);
    Operand<TFloat64> w = tf.dtypes.cast(tf.gather(shape, tf.constant(1), tf.constant(0)),
        TFloat64.class);
    // Source pixels per resized pixel: the shorter side maps onto size / CROP_FRACTION.
    Operand<TFloat64> scale =
        tf.math.minimum(
            tf.math.div(w, tf.constant(width / CROP_FRACTION)),
            tf.math.div(h, tf.constant(height / CROP_FRACTION)));
    Axis ys = axis(tf, h, scale, height);
    Axis xs = axis(tf, w, scale, width);
    // Blend rows first ([height, w, C]), then columns ([height, width, C]).
    Operand<TFloat32> top = tf.gather(img, ys.lo, tf.constant(0));
    Operand<TFloat32> bottom = tf.gather(img, ys.hi, tf.constant(0));
    Operand<TFloat32> rows =
        tf.math.add(
            top,
            tf.math.mul(
                tf.math.sub(bottom, top), tf.reshape(ys.frac, tf.constant(new int[] {-1, 1, 1}))));
    Operand<TFloat32> left = tf.gather(rows, xs.lo, tf.constant(1));
    Operand<TFloat32> right = tf.gather(rows, xs.hi, tf.constant(1));
    Operand<TFloat32> pixels =
        tf.math.add(
            left,
            tf.math.mul(
                tf.math.sub(right, left), tf.reshape(xs.frac, tf.constant(new int[] {1, -1, 1}))));
    // Every normalisation is affine per channel: value = offset[c] + slope[c] * pixel.
    float[] offset = new float[channels];
    float[] slope = new float[channels];
    for (int c = 0; c < channels; c++) {
      offset[c] = normalization.apply(0, c);
      slope[c] = normalization.apply(1, c) - offset[c];
    }
    return tf.math.add(tf.math.mul(pixels, tf.constant(slope)), tf.constant(offset));
  }

  /** Sample positions along one axis: lower and upper source index and the blend weight. */
  private record Axis(Operand<TInt32> lo, Operand<TInt32> hi, Operand<TFloat32> frac) {}

  private static Axis axis(Ops tf, Operand<TFloat64> size, Operand<TFloat64> scale, int out) {
    Operand<TFloat64> spare =
        tf.math.maximum(
            tf.math.sub(tf.math.div(size, scale), tf.constant((double) out)), tf.constant(0.0));
    Operand<TFloat64> start = tf.math.div(spare, tf.constant(2.0));
    Operand<TFloat64> i =
        tf.dtypes.cast(tf.range(tf.constant(0), tf.constant(out), tf.constant(1)), TFloat64.class);
    Operand<TFloat64> last = tf.math.sub(size, tf.constant(1.0));
    Operand<TFloat64> pos =
        tf.math.sub(
            tf.math.mul(tf.math.add(tf.math.add(start, i), tf.constant(0.5)), scale),
            tf.constant(0.5));
    pos = tf.math.minimum(tf.math.maximum(pos, tf.constant(0.0)), last);
    Operand<TFloat64> floor = tf.math.floor(pos);
    Operand<TInt32> lo = tf.dtypes.cast(floor, TInt32.class);
    Operand<TInt32> hi =
        tf.math.minimum(tf.math.add(lo, tf.constant(1)), tf.dtypes.cast(last, TInt32.class));
    Operand<TFloat32> frac = tf.dtypes.cast(tf.math.sub(pos, floor), TFloat32.class);
    return new Axis(lo, hi, frac);
  }
}
