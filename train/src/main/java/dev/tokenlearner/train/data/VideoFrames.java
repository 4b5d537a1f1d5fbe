package dev.tokenlearner.train.data;

import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.graph.preprocess.ResizeCrop;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
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
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TNumber;

/**
 * Turns the encoded frames of a video into one clip {@code [T, crop, crop, C]} as TF ops run from
 * Java: the frames {@link VideoSampling#frames} picks, each decoded, resized so its shorter side is
 * {@code min_resize}, cropped at one position for the whole clip, optionally flipped, and
 * normalised. Frames already decoded to RGB (video files) take the same ops from the resize on.
 * Shared by the video datasets; safe to call from several threads.
 */
final class VideoFrames implements AutoCloseable {

  /** Reads encoded frame {@code i} of a video. */
  @FunctionalInterface
  interface FrameReader {
    /**
     * Reads one frame.
     *
     * @param i the frame index
     * @return the encoded frame
     * @throws IOException if it cannot be read
     */
    byte[] read(int i) throws IOException;
  }

  /** One decoded frame: {@code height * width * 3} bytes of RGB, row-major. */
  record RgbFrame(byte[] rgb, int height, int width) {
    RgbFrame {
      if (rgb.length != height * width * 3) {
        throw new IllegalArgumentException(
            rgb.length + " bytes for a " + height + "x" + width + " RGB frame");
      }
    }
  }

  private final VideoSampling sampling;
  private final EvalPreprocessing frame;
  private final Graph graph;
  private final Session session;
  private final Placeholder<TString> encoded;
  private final Placeholder<TFloat32> position;
  private final Placeholder<TBool> flip;
  private final Operand<TFloat32> output;
  private final Placeholder<TUint8> pixels;
  private final Operand<TFloat32> rgbOutput;

  VideoFrames(VideoSampling sampling, EvalPreprocessing frame) {
    this.sampling = sampling;
    this.frame = frame;
    graph = new Graph();
    Ops tf = Ops.create(graph);
    encoded = tf.withName("frame").placeholder(TString.class);
    position = tf.withName("position").placeholder(TFloat32.class, Placeholder.shape(Shape.of(2)));
    flip = tf.withName("flip").placeholder(TBool.class, Placeholder.shape(Shape.scalar()));
    output =
        tf.withName("clip_frame")
            .identity(
                frameOps(
                    tf,
                    tf.image.decodeImage(
                        encoded,
                        TUint8.class,
                        DecodeImage.channels((long) frame.channels()),
                        DecodeImage.expandAnimations(false))));
    pixels = tf.withName("rgb").placeholder(TUint8.class, Placeholder.shape(Shape.of(-1, -1, 3)));
    rgbOutput = tf.withName("clip_rgb_frame").identity(frameOps(tf, rgbTo(tf, pixels)));
    session = new Session(graph);
  }

  /**
   * An RGB frame {@code [H, W, 3]} with the model's channels: itself, or for one channel the luma
   * weights of TF's {@code rgb_to_grayscale} (what decoding a JPEG to one channel gives).
   */
  private Operand<? extends TNumber> rgbTo(Ops tf, Operand<TUint8> rgb) {
    if (frame.channels() == 3) {
      return rgb;
    }
    if (frame.channels() != 1) {
      throw new InvalidInputException(
          "video files decode to RGB; the model takes " + frame.channels() + " channels");
    }
    Operand<TFloat32> w = tf.constant(new float[][] {{0.2989f}, {0.5870f}, {0.1140f}});
    Operand<TFloat32> flat =
        tf.reshape(tf.dtypes.cast(rgb, TFloat32.class), tf.constant(new int[] {-1, 3}));
    Operand<TInt32> hw1 =
        tf.concat(
            List.of(
                tf.slice(tf.shape(rgb), tf.constant(new int[] {0}), tf.constant(new int[] {2})),
                tf.constant(new int[] {1})),
            tf.constant(0));
    return tf.reshape(tf.math.round(tf.linalg.matMul(flat, w)), hw1);
  }

  /**
   * One frame {@code [H, W, C]}: resize the shorter side to {@code min_resize}, crop {@code
   * crop_size} at a relative position ({@code 0} = top/left, {@code 1} = bottom/right), flip,
   * normalise.
   */
  private Operand<TFloat32> frameOps(Ops tf, Operand<? extends TNumber> img) {
    int crop = sampling.cropSize();
    Operand<TFloat32> hw = ResizeCrop.sizeOf(tf, img);
    Operand<TFloat32> scale =
        tf.math.div(tf.constant((float) sampling.minResize()), tf.min(hw, tf.constant(0)));
    Operand<TFloat32> cropped =
        ResizeCrop.apply(
            tf,
            img,
            hw,
            scale,
            crop,
            crop,
            frame.channels(),
            spare ->
                tf.math.minimum(
                    tf.dtypes.cast(
                        tf.math.floor(
                            tf.math.mul(
                                position,
                                tf.math.add(
                                    tf.dtypes.cast(spare, TFloat32.class), tf.constant(1f)))),
                        TInt32.class),
                    spare));
    Operand<TFloat32> flipped =
        tf.select(flip, tf.reverse(cropped, tf.constant(new int[] {1})), cropped);
    return frame.normalize(tf, flipped);
  }

  /**
   * Writes one clip.
   *
   * @param reader the video's encoded frames
   * @param length frames in the video
   * @param what the file or record, for messages
   * @param start first sampled frame
   * @param u relative crop position along the height ({@code 0} top, {@code 1} bottom)
   * @param v relative crop position along the width
   * @param flipped whether to flip every frame horizontally
   * @param dst destination, {@code [T, crop, crop, C]} float32
   * @param offset first float in {@code dst}
   * @throws IOException naming {@code what} and the frame if a frame cannot be read or decoded
   */
  void write(
      FrameReader reader,
      int length,
      String what,
      int start,
      float u,
      float v,
      boolean flipped,
      float[] dst,
      int offset)
      throws IOException {
    int per = sampling.cropSize() * sampling.cropSize() * frame.channels();
    int[] idx = sampling.frames(start, length);
    try (TFloat32 pos = TFloat32.vectorOf(u, v);
        TBool f = TBool.scalarOf(flipped)) {
      for (int t = 0; t < idx.length; t++) {
        byte[] bytes = reader.read(idx[t]);
        try (TString in = TString.tensorOfBytes(NdArrays.scalarOfObject(bytes));
            Result r =
                session
                    .runner()
                    .feed(encoded, in)
                    .feed(position, pos)
                    .feed(flip, f)
                    .fetch(output)
                    .run()) {
          ((TFloat32) r.get(0))
              .copyTo(DataBuffers.of(dst, false, false).slice(offset + t * per, per));
        } catch (TFInvalidArgumentException e) {
          String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
          throw new IOException(what + ", frame " + idx[t] + ": cannot decode image: " + m, e);
        }
      }
    }
  }

  /** Decodes the frames of one clip, in the order asked for. */
  @FunctionalInterface
  interface RgbReader {
    /**
     * Decodes frames.
     *
     * @param indices frame indices, ascending, each at most once
     * @return one RGB frame per index
     * @throws IOException if the video cannot be read or decoded
     */
    List<RgbFrame> read(int[] indices) throws IOException;
  }

  /**
   * Writes one clip from decoded RGB frames, with the same resize, crop, flip and normalisation as
   * {@link #write}.
   *
   * @param reader decodes the video's frames
   * @param length frames in the video
   * @param start first sampled frame
   * @param u relative crop position along the height
   * @param v relative crop position along the width
   * @param flipped whether to flip every frame horizontally
   * @param dst destination, {@code [T, crop, crop, C]} float32
   * @param offset first float in {@code dst}
   * @throws IOException if the reader fails
   */
  void writeRgb(
      RgbReader reader,
      int length,
      int start,
      float u,
      float v,
      boolean flipped,
      float[] dst,
      int offset)
      throws IOException {
    int per = sampling.cropSize() * sampling.cropSize() * frame.channels();
    int[] idx = sampling.frames(start, length);
    // Decode each distinct frame once, in file order (indices may wrap past the end).
    int[] distinct = Arrays.stream(idx).distinct().sorted().toArray();
    List<RgbFrame> decoded = reader.read(distinct);
    try (TFloat32 pos = TFloat32.vectorOf(u, v);
        TBool f = TBool.scalarOf(flipped)) {
      for (int t = 0; t < idx.length; t++) {
        RgbFrame fr = decoded.get(Arrays.binarySearch(distinct, idx[t]));
        try (TUint8 in =
                TUint8.tensorOf(
                    Shape.of(fr.height(), fr.width(), 3), DataBuffers.of(fr.rgb(), true, false));
            Result r =
                session
                    .runner()
                    .feed(pixels, in)
                    .feed(position, pos)
                    .feed(flip, f)
                    .fetch(rgbOutput)
                    .run()) {
          ((TFloat32) r.get(0))
              .copyTo(DataBuffers.of(dst, false, false).slice(offset + t * per, per));
        }
      }
    }
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
