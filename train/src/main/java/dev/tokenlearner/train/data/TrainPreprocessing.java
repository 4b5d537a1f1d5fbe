package dev.tokenlearner.train.data;

import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.DecodeAndCropJpeg;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.op.image.StatelessSampleDistortedBoundingBox;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.ThreadPoolOptionProto;
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
 *
 * <p>A batch of JPEGs ({@link #runPixels(byte[][], String[], SplittableRandom[], byte[])}) runs as
 * one session run of a graph holding one crop-window chain per image, so TF's executor runs the
 * images in parallel and the per-run overhead is paid once per batch; its pixels are identical to
 * running the images one by one with the same randomness.
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

  /** Name of the inter-op thread pool every input session shares. */
  public static final String INPUT_POOL = "tokenlearner_input";

  /**
   * System property choosing where the input sessions run their ops: {@code own} (the default) for
   * an inter-op pool of their own ({@value #INPUT_POOL}), {@code shared} for TensorFlow's
   * process-wide pool that the training step also uses.
   */
  public static final String POOL_PROPERTY = "tokenlearner.input.pool";

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
  private final ConcurrentMap<Integer, JpegBatch> jpegBatches = new ConcurrentHashMap<>();

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
    StatelessSampleDistortedBoundingBox<TInt32> box = sampleBox(tf, tf.shape(image), seed);
    Operand<TFloat32> crop =
        resizeAndFlip(tf, spec, tf.slice(image, box.begin(), box.sizeOutput()), flip);
    output = tf.withName("augmented").identity(spec.normalize(tf, crop));
    pixels = tf.withName("augmented_pixels").identity(toPixels(tf, crop));
    Operand<TFloat32> jpegResized = jpegChain(tf, spec, encoded, seed, flip);
    jpegOutput = tf.withName("augmented_jpeg").identity(spec.normalize(tf, jpegResized));
    jpegPixels = tf.withName("augmented_jpeg_pixels").identity(toPixels(tf, jpegResized));
    session = new Session(graph, sessionConfig());
  }

  /**
   * The input sessions' options. With the default options every session of the process queues its
   * ops on one inter-op pool, so a training step's hundreds of small ops wait behind the decodes
   * and resizes of the batches being prepared; an input pool of its own (as {@code tf.data}'s
   * private pool is to Python's step) leaves the sharing of the cores to the OS scheduler.
   *
   * @return the config of every input session
   */
  static ConfigProto sessionConfig() {
    if ("shared".equals(System.getProperty(POOL_PROPERTY))) {
      return ConfigProto.getDefaultInstance();
    }
    return ConfigProto.newBuilder()
        .addSessionInterOpThreadPool(
            ThreadPoolOptionProto.newBuilder().setNumThreads(0).setGlobalName(INPUT_POOL))
        .build();
  }

  /**
   * The JPEG path for one image: read the size from the header and decode only the crop window
   * (what Scenic's ImageNet input does); the same seed gives the same box as the whole-image path.
   */
  private static Operand<TFloat32> jpegChain(
      Ops tf,
      EvalPreprocessing spec,
      Operand<TString> encoded,
      Operand<TInt64> seed,
      Operand<TBool> flip) {
    StatelessSampleDistortedBoundingBox<TInt32> box =
        sampleBox(tf, tf.image.extractJpegShape(encoded), seed);
    Operand<TInt32> two = tf.constant(new int[] {2});
    Operand<TInt32> window =
        tf.concat(
            List.of(
                tf.slice(box.begin(), tf.constant(new int[] {0}), two),
                tf.slice(box.sizeOutput(), tf.constant(new int[] {0}), two)),
            tf.constant(0));
    Operand<TUint8> crop =
        tf.image.decodeAndCropJpeg(
            encoded, window, DecodeAndCropJpeg.channels((long) spec.channels()));
    return resizeAndFlip(tf, spec, crop, flip);
  }

  private static StatelessSampleDistortedBoundingBox<TInt32> sampleBox(
      Ops tf, Operand<TInt32> shape, Operand<TInt64> seed) {
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
  private static Operand<TFloat32> resizeAndFlip(
      Ops tf, EvalPreprocessing spec, Operand<TUint8> crop, Operand<TBool> flip) {
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
    Draw d = Draw.from(random);
    return augment(bytes, what, d, out);
  }

  /** Runs the graph for one image with drawn randomness; the caller closes the result. */
  private Result augment(byte[] bytes, String what, Draw d, Operand<?> out) throws IOException {
    long[] s = d.seed();
    boolean f = d.flip();
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

  /**
   * Augments a batch of encoded images into {@code dst} as uint8 pixels: the same bytes as {@link
   * #runPixels(byte[], String, SplittableRandom, byte[], int)} on each image in turn. All-JPEG
   * batches run as one session run; a batch with another format, or one that fails, runs image by
   * image (so an error names the image at fault).
   *
   * @param bytes the encoded images
   * @param what each image's file or record, for messages
   * @param random each image's augmentation randomness (drawn as the one-image call draws it)
   * @param dst destination, {@code [N, H, W, C]} pixels in C order
   * @throws IOException naming the image if one is not a decodable image
   */
  public void runPixels(byte[][] bytes, String[] what, SplittableRandom[] random, byte[] dst)
      throws IOException {
    int n = bytes.length;
    if (what.length != n || random.length != n || dst.length != n * outputSize()) {
      throw new IllegalArgumentException(
          n + " images need " + n + " names, randoms and " + n * outputSize() + " bytes");
    }
    Draw[] draws = new Draw[n];
    boolean allJpeg = true;
    for (int i = 0; i < n; i++) {
      draws[i] = Draw.from(random[i]);
      allJpeg &= isJpeg(bytes[i]);
    }
    if (allJpeg && n > 1) {
      JpegBatch batch = jpegBatches.computeIfAbsent(n, JpegBatch::new);
      try {
        batch.run(bytes, draws, dst);
        return;
      } catch (TFInvalidArgumentException e) {
        // Find and name the image at fault below.
      }
    }
    for (int i = 0; i < n; i++) {
      try (Result r =
          augment(bytes[i], what[i], draws[i], isJpeg(bytes[i]) ? jpegPixels : pixels)) {
        ((TUint8) r.get(0))
            .copyTo(DataBuffers.of(dst, false, false).slice((long) i * outputSize(), outputSize()));
      }
    }
  }

  /** One image's augmentation randomness, drawn in the order every path draws it. */
  private record Draw(long[] seed, boolean flip) {
    static Draw from(SplittableRandom random) {
      long[] s = {random.nextLong(), random.nextLong()};
      return new Draw(s, random.nextBoolean());
    }
  }

  /** The crop-window JPEG chain of {@code n} images in one graph, stacked into one output. */
  private final class JpegBatch implements AutoCloseable {
    private final int n;
    private final Graph batchGraph = new Graph();
    private final Session batchSession;
    private final Placeholder<TString> encodedBatch;
    private final Placeholder<TInt64> seeds;
    private final Placeholder<TBool> flips;
    private final Operand<TUint8> out;

    JpegBatch(int n) {
      this.n = n;
      Ops tf = Ops.create(batchGraph);
      encodedBatch = tf.placeholder(TString.class, Placeholder.shape(Shape.of(n)));
      seeds = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(n, 2)));
      flips = tf.placeholder(TBool.class, Placeholder.shape(Shape.of(n)));
      List<Operand<TUint8>> images = new ArrayList<>(n);
      Operand<TInt32> scalar = tf.constant(new int[0]);
      for (int i = 0; i < n; i++) {
        Operand<TInt32> at = tf.constant(new int[] {i});
        Operand<TInt32> one = tf.constant(new int[] {1});
        Operand<TString> e = tf.reshape(tf.slice(encodedBatch, at, one), scalar);
        Operand<TInt64> s =
            tf.reshape(
                tf.slice(seeds, tf.constant(new int[] {i, 0}), tf.constant(new int[] {1, 2})),
                tf.constant(new int[] {2}));
        Operand<TBool> f = tf.reshape(tf.slice(flips, at, one), scalar);
        images.add(toPixels(tf, jpegChain(tf, spec, e, s, f)));
      }
      out = tf.stack(images);
      batchSession = new Session(batchGraph, sessionConfig());
    }

    void run(byte[][] bytes, Draw[] draws, byte[] dst) {
      NdArray<byte[]> in = NdArrays.ofObjects(byte[].class, Shape.of(n));
      long[][] s = new long[n][];
      boolean[] f = new boolean[n];
      for (int i = 0; i < n; i++) {
        in.setObject(bytes[i], i);
        s[i] = draws[i].seed();
        f[i] = draws[i].flip();
      }
      try (TString inT = TString.tensorOfBytes(in);
          TInt64 seedT = TInt64.tensorOf(StdArrays.ndCopyOf(s));
          TBool flipT = TBool.vectorOf(f);
          Result r =
              batchSession
                  .runner()
                  .feed(encodedBatch, inT)
                  .feed(seeds, seedT)
                  .feed(flips, flipT)
                  .fetch(out)
                  .run()) {
        ((TUint8) r.get(0)).copyTo(DataBuffers.of(dst, false, false));
      }
    }

    @Override
    public void close() {
      batchSession.close();
      batchGraph.close();
    }
  }

  @Override
  public void close() {
    jpegBatches.values().forEach(JpegBatch::close);
    jpegBatches.clear();
    session.close();
    graph.close();
  }
}
