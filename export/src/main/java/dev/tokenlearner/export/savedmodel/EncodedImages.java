package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.config.InputSpec;
import java.util.List;
import java.util.Objects;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.MapDefun;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The input half of the {@code serving_bytes} signature: a batch of encoded images (JPEG, PNG, GIF
 * or BMP bytes) becomes the model input by running one image's evaluation preprocessing on every
 * example inside the graph.
 *
 * <p>Layouts:
 *
 * <ul>
 *   <li>image models: {@code image_bytes [b]} (one encoded image per example) becomes {@code [b, H,
 *       W, C]};
 *   <li>video models: {@code image_bytes [b, T]} (example {@code i}'s frames in time order, exactly
 *       {@code num_frames} of them) becomes {@code [b, T, H, W, C]}; every frame is preprocessed
 *       alone, as a still image.
 * </ul>
 *
 * <p>The per-image ops run inside a {@code MapDefun} over the flattened batch, so the batch size
 * stays dynamic and images of different sizes can share a batch.
 */
final class EncodedImages {

  /** One encoded image (scalar string) to one model input image {@code [H, W, C]}. */
  @FunctionalInterface
  interface PerImage {
    /**
     * Builds the preprocessing of one image.
     *
     * @param tf ops of the function being built
     * @param encoded a scalar string: the encoded image
     * @return {@code [H, W, C]} float32
     */
    Operand<TFloat32> apply(Ops tf, Operand<TString> encoded);
  }

  private EncodedImages() {}

  /**
   * The placeholder of the encoded batch.
   *
   * @param tf graph ops
   * @param input the model's input spec
   * @return {@code image_bytes}, {@code [b]} or {@code [b, T]} strings
   */
  static Placeholder<TString> placeholder(Ops tf, InputSpec input) {
    Shape shape = input.isVideo() ? Shape.of(-1, input.numFrames()) : Shape.of(-1);
    return tf.withName(Signatures.IMAGE_BYTES).placeholder(TString.class, Placeholder.shape(shape));
  }

  /**
   * Decodes and preprocesses a batch inside the graph.
   *
   * @param tf graph ops
   * @param bytes the {@link #placeholder}
   * @param input the model's input spec
   * @param perImage one image's preprocessing; must return exactly {@code [H, W, C]}
   * @return the model input, {@code input.shape(-1)}
   */
  @SuppressWarnings("unchecked")
  static Operand<TFloat32> decode(
      Ops tf, Operand<TString> bytes, InputSpec input, PerImage perImage) {
    Objects.requireNonNull(perImage, "perImage");
    Shape image = Shape.of(input.height(), input.width(), input.channels());
    Operand<TString> flat = tf.reshape(bytes, tf.constant(new long[] {-1}));
    Operand<TFloat32> images;
    // The graph keeps its own copy of the function, so this handle can be released at once.
    try (ConcreteFunction fn =
        ConcreteFunction.create(
            f -> {
              Placeholder<TString> one =
                  f.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
              Operand<TFloat32> out = f.ensureShape(perImage.apply(f, one), image);
              return Signature.builder().input("encoded", one).output("image", out).build();
            })) {
      MapDefun mapped =
          tf.mapDefun(List.of(flat), List.of(), List.of(TFloat32.class), List.of(image), fn);
      images = (Operand<TFloat32>) mapped.output().get(0);
    }
    return tf.reshape(images, tf.constant(input.shape(-1)));
  }
}
