package dev.tokenlearner.train.data;

import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.DecodeAndCropJpeg;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.op.image.StatelessSampleDistortedBoundingBox;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Scenic's training augmentation for one encoded image, as TF ops run from Java: decode, inception
 * crop (a random box covering {@value #AREA_MIN}–100 % of the image with aspect ratio 3/4–4/3,
 * drawn by the stateless {@code StatelessSampleDistortedBoundingBox} from a seed), bilinear resize
 * to the model's input size (half-pixel centres), a random horizontal flip, and the experiment's
 * normalisation. JPEGs are decoded only inside the crop window ({@code DecodeAndCropJpeg}), which
 * is what makes this path fast; other formats are decoded whole, then cropped, with the same box.
 *
 * <p>The result comes as float32 model inputs ({@link #run(byte[], String, SplittableRandom,
 * float[], int)}) or, for the trainer, as the resized and flipped crop rounded to uint8 pixels
 * before normalisation ({@link #runPixels}): a quarter of the bytes, normalised by the training
 * graph on its device. Rounding moves a pixel by at most 0.5 of 255 before normalisation.
 *
 * <p>The seed and the flip come from the caller's {@link SplittableRandom}, which {@link
 * TrainOrder} derives from (seed, step, slot), so an example's augmentation is reproducible. One
 * graph and session serve every thread (TF sessions are thread-safe).
 */
public final class TrainPreprocessing implements AutoCloseable {

  /** Smallest crop area, as a fraction of the image (Inception's 8 %). */
  public static final float AREA_MIN = 0.08f;

  /** Smallest aspect ratio (width / height) of the crop. */
  public static final float ASPECT_MIN = 3f / 4f;

  /** Largest aspect ratio (width / height) of the crop. */
  public static final float ASPECT_MAX = 4f / 3f;

  /** Tries before the box falls back to the whole image. */
  public static final long MAX_ATTEMPTS = 10;

  private final EvalPreprocessing spec;
  private final Graph graph;
  private final Session session;
  private final Placeholder<TString> encoded;
  private final Placeholder<TInt64> seed;
  private final Placeholder<TBool> flip;
  private final Operand<TFloat32> output;
  private final Operand<TFloat32> jpegOutput;
  private final Operand<TUint8> pixels;
  private final Operand<TUint8> jpegPixels;

  /**
   * Builds the graph.
   *
   * @param spec output size, channels and normalisation (the evaluation preprocessing of the same
   *     model, whose crop fraction is not used here)
   */
  public TrainPreprocessing(EvalPreprocessing spec) {
    this.spec = spec;
    this.graph = new Graph();
    Ops tf = Ops.create(graph);
    encoded = tf.withName("encoded").placeholder(TString.class);
    seed = tf.withName("seed").placeholder(TInt64.class, Placeholder.shape(Shape.of(2)));
    flip = tf.withName("flip").placeholder(TBool.class, Placeholder.shape(Shape.scalar()));
    // Any format: decode the whole image, then crop.
    Operand<TUint8> image =
        tf.image.decodeImage(
            encoded,
            TUint8.class,
            DecodeImage.channels((long) spec.channels()),
            DecodeImage.expandAnimations(false));
    StatelessSampleDistortedBoundingBox<TInt32> box = sampleBox(tf, tf.shape(image));
    Operand<TFloat32> crop = resizeAndFlip(tf, tf.slice(image, box.begin(), box.sizeOutput()));
    output = tf.withName("augmented").identity(spec.normalize(tf, crop));
    pixels = tf.withName("augmented_pixels").identity(toPixels(tf, crop));
    // JPEG: read the size from the header and decode only the crop window (what Scenic's
    // ImageNet input does); the same seed gives the same box as the path above.
    StatelessSampleDistortedBoundingBox<TInt32> jpegBox =
        sampleBox(tf, tf.image.extractJpegShape(encoded));
    Operand<TInt32> two = tf.constant(new int[] {2});
    Operand<TInt32> window =
        tf.concat(
            List.of(
                tf.slice(jpegBox.begin(), tf.constant(new int[] {0}), two),
                tf.slice(jpegBox.sizeOutput(), tf.constant(new int[] {0}), two)),
            tf.constant(0));
    Operand<TUint8> jpegCrop =
        tf.image.decodeAndCropJpeg(
            encoded, window, DecodeAndCropJpeg.channels((long) spec.channels()));
    Operand<TFloat32> jpegResized = resizeAndFlip(tf, jpegCrop);
    jpegOutput = tf.withName("augmented_jpeg").identity(spec.normalize(tf, jpegResized));
    jpegPixels = tf.withName("augmented_jpeg_pixels").identity(toPixels(tf, jpegResized));
    session = new Session(graph);
  }

  private StatelessSampleDistortedBoundingBox<TInt32> sampleBox(Ops tf, Operand<TInt32> shape) {
    return tf.image.statelessSampleDistortedBoundingBox(
        shape,
        tf.constant(new float[][][] {{{0f, 0f, 1f, 1f}}}),
        tf.constant(0.1f),
        seed,
        StatelessSampleDistortedBoundingBox.areaRange(AREA_MIN, 1f),
        StatelessSampleDistortedBoundingBox.aspectRatioRange(ASPECT_MIN, ASPECT_MAX),
        StatelessSampleDistortedBoundingBox.maxAttempts(MAX_ATTEMPTS),
        StatelessSampleDistortedBoundingBox.useImageIfNoBoundingBoxes(true));
  }

  /** Resizes a crop {@code [h, w, C]} to the output size and flips it when asked. */
  private Operand<TFloat32> resizeAndFlip(Ops tf, Operand<TUint8> crop) {
    Operand<TFloat32> resized =
        tf.reshape(
            tf.image.resizeBilinear(
                tf.expandDims(crop, tf.constant(0)),
                tf.constant(new int[] {spec.height(), spec.width()}),
                ResizeBilinear.halfPixelCenters(true)),
            tf.constant(new int[] {spec.height(), spec.width(), spec.channels()}));
    return tf.select(flip, tf.reverse(resized, tf.constant(new int[] {1})), resized);
  }

  /** Rounds to whole pixel values (bilinear weights keep them in 0..255; the clip is a guard). */
  private static Operand<TUint8> toPixels(Ops tf, Operand<TFloat32> x) {
    return tf.dtypes.cast(
        tf.clipByValue(tf.math.round(x), tf.constant(0f), tf.constant(255f)), TUint8.class);
  }

  /** Whether the bytes start with the JPEG marker {@code FF D8 FF}. */
  static boolean isJpeg(byte[] b) {
    return b.length > 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF;
  }

  /**
   * Floats per output image.
   *
   * @return {@code H * W * C}
   */
  public int outputSize() {
    return spec.height() * spec.width() * spec.channels();
  }

  /**
   * Augments one encoded image into {@code dst}.
   *
   * @param bytes the encoded image (JPEG, PNG, GIF or BMP)
   * @param what the file or record, for messages
   * @param random the example's augmentation randomness (two longs and a boolean are drawn)
   * @param dst destination, {@code [H, W, C]} float32 in C order
   * @param offset first float in {@code dst}
   * @throws IOException naming {@code what} if the bytes are not a decodable image
   */
  public void run(byte[] bytes, String what, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    run(bytes, what, random, dst, offset, isJpeg(bytes));
  }

  /** {@link #run}, choosing the crop-window JPEG decode or the whole-image decode. */
  void run(
      byte[] bytes, String what, SplittableRandom random, float[] dst, int offset, boolean jpeg)
      throws IOException {
    try (Result r = augment(bytes, what, random, jpeg ? jpegOutput : output)) {
      ((TFloat32) r.get(0)).copyTo(DataBuffers.of(dst, false, false).slice(offset, outputSize()));
    }
  }

  /**
   * Augments one encoded image into {@code dst} as uint8 pixels, before normalisation: the output
   * of {@link #run(byte[], String, SplittableRandom, float[], int)} for the same randomness, up to
   * rounding and normalisation.
   *
   * @param bytes the encoded image (JPEG, PNG, GIF or BMP)
   * @param what the file or record, for messages
   * @param random the example's augmentation randomness (two longs and a boolean are drawn)
   * @param dst destination, {@code [H, W, C]} pixels in C order
   * @param offset first byte in {@code dst}
   * @throws IOException naming {@code what} if the bytes are not a decodable image
   */
  public void runPixels(byte[] bytes, String what, SplittableRandom random, byte[] dst, int offset)
      throws IOException {
    try (Result r = augment(bytes, what, random, isJpeg(bytes) ? jpegPixels : pixels)) {
      ((TUint8) r.get(0)).copyTo(DataBuffers.of(dst, false, false).slice(offset, outputSize()));
    }
  }

  /** Runs the graph for one image, fetching {@code out}; the caller closes the result. */
  private Result augment(byte[] bytes, String what, SplittableRandom random, Operand<?> out)
      throws IOException {
    long[] s = {random.nextLong(), random.nextLong()};
    boolean f = random.nextBoolean();
    try (TString in = TString.tensorOfBytes(NdArrays.scalarOfObject(bytes));
        TInt64 seedT = TInt64.vectorOf(s);
        TBool flipT = TBool.scalarOf(f)) {
      return session
          .runner()
          .feed(encoded, in)
          .feed(seed, seedT)
          .feed(flip, flipT)
          .fetch(out)
          .run();
    } catch (TFInvalidArgumentException e) {
      String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
      throw new IOException(what + ": cannot decode image: " + m, e);
    }
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
