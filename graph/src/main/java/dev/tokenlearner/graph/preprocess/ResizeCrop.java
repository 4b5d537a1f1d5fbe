package dev.tokenlearner.graph.preprocess;

import java.util.List;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TNumber;

/**
 * The "resize, then crop" chain of evaluation images ({@link EvalPreprocessing}) and video frames:
 * scale both sides by one factor (rounded, never below the crop), resize bilinearly with half-pixel
 * centres, then cut the crop at an offset chosen from the spare pixels.
 */
public final class ResizeCrop {
  private ResizeCrop() {}

  /**
   * The height and width of an image.
   *
   * @param tf where to build the ops
   * @param image {@code [h, w, C]}
   * @return {@code [h, w]} as float32
   */
  public static Operand<TFloat32> sizeOf(Ops tf, Operand<? extends TNumber> image) {
    return tf.dtypes.cast(
        tf.slice(tf.shape(image), tf.constant(new int[] {0}), tf.constant(new int[] {2})),
        TFloat32.class);
  }

  /**
   * Resizes {@code image} to {@code round(size * scale)} (at least the crop) and crops it.
   *
   * @param tf where to build the ops
   * @param image {@code [h, w, C]} pixels
   * @param size {@link #sizeOf} the image
   * @param scale one factor, or one per axis ({@code [2]})
   * @param cropH crop height
   * @param cropW crop width
   * @param channels C
   * @param offset the crop's top-left corner {@code [2]} from the spare pixels {@code resized -
   *     crop} (both int32 {@code [2]})
   * @return {@code [cropH, cropW, C]} float32
   */
  public static Operand<TFloat32> apply(
      Ops tf,
      Operand<? extends TNumber> image,
      Operand<TFloat32> size,
      Operand<TFloat32> scale,
      int cropH,
      int cropW,
      int channels,
      UnaryOperator<Operand<TInt32>> offset) {
    Operand<TInt32> crop = tf.constant(new int[] {cropH, cropW});
    Operand<TInt32> resized =
        tf.math.maximum(
            tf.dtypes.cast(tf.math.round(tf.math.mul(size, scale)), TInt32.class), crop);
    Operand<TFloat32> big =
        tf.image.resizeBilinear(
            tf.expandDims(image, tf.constant(0)), resized, ResizeBilinear.halfPixelCenters(true));
    Operand<TInt32> begin =
        tf.concat(
            List.of(
                tf.constant(new int[] {0}),
                offset.apply(tf.math.sub(resized, crop)),
                tf.constant(new int[] {0})),
            tf.constant(0));
    return tf.reshape(
        tf.slice(big, begin, tf.constant(new int[] {1, cropH, cropW, channels})),
        tf.constant(new int[] {cropH, cropW, channels}));
  }
}
