package dev.tokenlearner.graph.preprocess;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.Normalization;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TNumber;

/**
 * The one evaluation preprocessing of a single image, as TF ops: decode (JPEG, PNG, GIF, BMP) to
 * {@code channels}, resize bilinearly (half-pixel centres, no antialiasing, as TF's {@code
 * resize_bilinear(half_pixel_centers=True)}) so that the {@code height x width} crop covers {@link
 * #cropFraction()} of the shorter side, take the centre crop, and normalise the {@code 0..255}
 * values with {@link #normalization()}.
 *
 * <p>The trainer's evaluation, {@code predict} on image files and the SavedModel signature that
 * takes encoded images all run exactly this op sequence ({@link #apply}); {@link EvalPreprocessor}
 * runs it from Java. {@link #toMap()} is what the exporter records in the model's metadata.
 *
 * @param height output height H
 * @param width output width W
 * @param channels output channels C: 3 (RGB; grey images are replicated) or 1 (grey; colour images
 *     are converted by the decoder)
 * @param cropFraction fraction of the resized shorter side that the crop covers, in {@code (0, 1]}
 *     (ImageNet's 224/256 = {@value #CROP_FRACTION_DEFAULT} by default; 1 resizes the shorter side
 *     to the crop)
 * @param normalization how {@code 0..255} pixels become model inputs
 */
public record EvalPreprocessing(
    int height, int width, int channels, double cropFraction, Normalization normalization) {

  /** ImageNet's usual evaluation crop, 224 of 256. */
  public static final double CROP_FRACTION_DEFAULT = 0.875;

  /** The resize method, as recorded in metadata. */
  public static final String RESIZE_METHOD = "bilinear_half_pixel_centers";

  /** Metadata key of {@link #cropFraction()} (beside {@code normalization}). */
  public static final String CROP_FRACTION_KEY = "crop_fraction";

  /** Metadata key of {@link #RESIZE_METHOD}. */
  public static final String RESIZE_KEY = "resize";

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the offending field
   */
  public EvalPreprocessing {
    Objects.requireNonNull(normalization, "normalization");
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "output size must be positive, got " + height + "x" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    if (!(cropFraction > 0 && cropFraction <= 1)) {
      throw new IllegalArgumentException(
          CROP_FRACTION_KEY + " must be in (0, 1], got " + cropFraction);
    }
  }

  /**
   * The preprocessing of a model input with the default crop fraction.
   *
   * @param input the model's input (size and channels)
   * @param normalization the experiment's normalisation
   * @return the preprocessing
   */
  public static EvalPreprocessing of(InputSpec input, Normalization normalization) {
    return new EvalPreprocessing(
        input.height(), input.width(), input.channels(), CROP_FRACTION_DEFAULT, normalization);
  }

  /**
   * The preprocessing an experiment evaluates with: its input size and channels and {@code
   * preprocessing.normalization} ({@link ExperimentConfig#normalization()}).
   *
   * @param config the experiment
   * @return the preprocessing
   */
  public static EvalPreprocessing of(ExperimentConfig config) {
    return of(config.input(), config.normalization());
  }

  /**
   * Decodes and preprocesses one encoded image.
   *
   * @param tf where to build the ops
   * @param encoded a scalar string: the encoded image file
   * @return {@code [H, W, C]} float32 model input
   */
  public Operand<TFloat32> apply(Ops tf, Operand<TString> encoded) {
    Operand<? extends TNumber> decoded =
        tf.image.decodeImage(
            encoded,
            TUint8.class,
            DecodeImage.channels((long) channels),
            DecodeImage.expandAnimations(false));
    return applyDecoded(tf, decoded);
  }

  /**
   * Preprocesses one decoded image (for example a video frame).
   *
   * @param tf where to build the ops
   * @param image {@code [h, w, C]} pixels in {@code 0..255} (any numeric type)
   * @return {@code [H, W, C]} float32 model input
   */
  public Operand<TFloat32> applyDecoded(Ops tf, Operand<? extends TNumber> image) {
    Operand<TFloat32> hwF = ResizeCrop.sizeOf(tf, image);
    Operand<TFloat32> target =
        tf.constant(new float[] {(float) (height / cropFraction), (float) (width / cropFraction)});
    // One scale for both axes: the smaller relative side reaches its target, the other overshoots.
    Operand<TFloat32> scale = tf.max(tf.math.div(target, hwF), tf.constant(0));
    Operand<TFloat32> crop =
        ResizeCrop.apply(
            tf,
            image,
            hwF,
            scale,
            height,
            width,
            channels,
            spare -> tf.math.floorDiv(spare, tf.constant(2)));
    return normalize(tf, crop);
  }

  /**
   * System property that, set to {@code channel}, normalises with {@code [C]} constants broadcast
   * over the last axis (the form before {@link #normalize} tiled them; kept for A/B measurements).
   */
  public static final String NORMALIZE_FORM_PROPERTY = "tokenlearner.normalize.form";

  /**
   * Normalises pixels with {@link #normalization()}: {@code (x - mean[c]) / std[c]} over the last
   * axis, in float32.
   *
   * <p>When the trailing axes are this spec's {@code [H, W, C]} (a batch of model inputs), mean and
   * std are tiled to {@code [H, W, C]} in the graph (constant-folded once): TensorFlow's CPU
   * kernels broadcast a whole trailing block over the batch axis several times faster than a {@code
   * [C]} vector over the innermost axis (a 64-image 224² uint8 batch: cast, subtract and divide 330
   * ms with {@code [C]}, 111 ms tiled, the cast alone 76 ms, on a loaded machine). Every element
   * sees the same two float operations as the optimised {@code [C]} form (a subtraction and a
   * multiplication by the reciprocal), so the values are identical.
   *
   * @param tf where to build the ops
   * @param pixels {@code [..., C]} values in {@code 0..255}
   * @return the model input values, same shape
   */
  public Operand<TFloat32> normalize(Ops tf, Operand<? extends TNumber> pixels) {
    float[] mean = new float[channels];
    float[] std = new float[channels];
    for (int c = 0; c < channels; c++) {
      mean[c] = (float) normalization.mean(c);
      std[c] = (float) normalization.std(c);
    }
    Operand<TFloat32> x = tf.dtypes.cast(pixels, TFloat32.class);
    if (!endsWithImage(pixels.shape())
        || "channel".equals(System.getProperty(NORMALIZE_FORM_PROPERTY))) {
      return tf.math.div(tf.math.sub(x, tf.constant(mean)), tf.constant(std));
    }
    // TensorFlow's optimizer runs the division by a constant as a multiplication by its
    // reciprocal; multiplying by the float reciprocal here gives the same values bit for bit.
    float[] inverse = new float[channels];
    for (int c = 0; c < channels; c++) {
      inverse[c] = 1f / std[c];
    }
    Operand<TInt32> tiles = tf.constant(new int[] {height, width, 1});
    Operand<TInt32> hwc = tf.constant(new int[] {1, 1, channels});
    return tf.math.mul(
        tf.math.sub(x, tf.tile(tf.reshape(tf.constant(mean), hwc), tiles)),
        tf.tile(tf.reshape(tf.constant(inverse), hwc), tiles));
  }

  /**
   * Whether a shape is {@code [..., H, W, C]} with a leading axis (a batch) and this spec's sizes.
   */
  private boolean endsWithImage(Shape shape) {
    int n = shape.numDimensions();
    return n >= 4
        && shape.size(n - 3) == height
        && shape.size(n - 2) == width
        && shape.size(n - 1) == channels;
  }

  /**
   * The static shape of one output.
   *
   * @return {@code [H, W, C]}
   */
  public Shape outputShape() {
    return Shape.of(height, width, channels);
  }

  /**
   * What the exporter records under {@code preprocessing}: {@code normalization}, {@value
   * #CROP_FRACTION_KEY} and {@value #RESIZE_KEY}.
   *
   * @return an ordered map of plain values
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(Normalization.KEY, normalization.configName());
    m.put(CROP_FRACTION_KEY, cropFraction);
    m.put(RESIZE_KEY, RESIZE_METHOD);
    return m;
  }

  /**
   * Reads back what {@link #toMap()} wrote, for a model input.
   *
   * @param map the {@code preprocessing} section
   * @param input the model's input
   * @return the preprocessing
   * @throws IllegalArgumentException if a value is missing or not one this version implements
   */
  public static EvalPreprocessing fromMap(Map<?, ?> map, InputSpec input) {
    Normalization norm = Normalization.fromConfigName(String.valueOf(map.get(Normalization.KEY)));
    Object crop = map.get(CROP_FRACTION_KEY);
    double fraction = crop instanceof Number n ? n.doubleValue() : CROP_FRACTION_DEFAULT;
    Object resize = map.get(RESIZE_KEY);
    if (resize != null && !RESIZE_METHOD.equals(String.valueOf(resize))) {
      throw new IllegalArgumentException(
          "preprocessing."
              + RESIZE_KEY
              + ": '"
              + resize
              + "' is not implemented; expected "
              + RESIZE_METHOD);
    }
    return new EvalPreprocessing(input.height(), input.width(), input.channels(), fraction, norm);
  }
}
