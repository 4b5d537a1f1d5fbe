package dev.tokenlearner.train.data;

import com.google.common.base.Preconditions;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
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
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.FeatureList;
import org.tensorflow.proto.FeatureLists;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.Int64List;
import org.tensorflow.proto.SequenceExample;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Video clips in DMVR-style TFRecords, as Scenic's video datasets read them: each record a {@code
 * tf.train.SequenceExample} with the JPEG frames in the feature list {@value #FRAMES} and the label
 * in the context feature {@value #LABEL}.
 *
 * <p>Sampling ({@link VideoSampling}): training takes {@code num_frames} frames every {@code
 * stride} from a random start (wrapping past the end, as DMVR), resizes each frame so the shorter
 * side is {@code min_resize}, and takes one random {@code crop_size} crop and flip for the whole
 * clip; evaluation takes the centred clip and the centre crop, and {@link #evalView} gives the
 * {@code num_test_clips} × (1 or 3 spatial crops) views of multi-view evaluation. A clip with fewer
 * frames than {@code num_frames} is an error naming the file and record. Files and splits as {@link
 * TfRecordDataset} (names with {@code train}, {@code val}/{@code eval}/{@code test}, else every
 * 10th record held out).
 */
public final class VideoTfRecordDataset implements ImageDataset {

  /** Name of this dataset in {@code dataset_name} (Scenic's). */
  public static final String NAME = "video_tfrecord_dataset";

  /** Feature list holding the encoded frames. */
  public static final String FRAMES = "image/encoded";

  /** Context feature holding the class label. */
  public static final String LABEL = "clip/label/index";

  private final Path source;
  private final VideoSampling sampling;
  private final EvalPreprocessing frame;
  private final int numClasses;
  private final List<TfRecords.Pointer> train = new ArrayList<>();
  private final List<TfRecords.Pointer> eval = new ArrayList<>();
  private final Graph graph;
  private final Session session;
  private final Placeholder<TString> encoded;
  private final Placeholder<TFloat32> position;
  private final Placeholder<TBool> flip;
  private final Operand<TFloat32> output;

  /**
   * Indexes the files and builds the frame graph.
   *
   * @param source a TFRecord file or a folder of them
   * @param sampling clip sampling
   * @param frame frame size ({@code crop_size}), channels and normalisation
   * @param numClasses labels must lie in {@code [0, numClasses)}
   * @throws IOException if a file cannot be read or a record header is corrupt
   */
  public VideoTfRecordDataset(
      Path source, VideoSampling sampling, EvalPreprocessing frame, int numClasses)
      throws IOException {
    this.source = source;
    this.sampling = sampling;
    this.frame = frame;
    this.numClasses = numClasses;
    List<Path> files;
    if (Files.isDirectory(source)) {
      try (Stream<Path> s = Files.list(source)) {
        files =
            s.filter(Files::isRegularFile)
                .filter(p -> !p.getFileName().toString().startsWith("."))
                .sorted()
                .toList();
      }
    } else {
      files = List.of(source);
    }
    Preconditions.checkArgument(!files.isEmpty(), "%s: no TFRecord files", source);
    List<Path> trainFiles = files.stream().filter(p -> name(p).contains("train")).toList();
    List<Path> evalFiles =
        files.stream()
            .filter(p -> !name(p).contains("train"))
            .filter(p -> name(p).contains("val") || name(p).contains("test"))
            .toList();
    if (!trainFiles.isEmpty() && !evalFiles.isEmpty()) {
      for (Path f : trainFiles) {
        train.addAll(TfRecords.index(f));
      }
      for (Path f : evalFiles) {
        eval.addAll(TfRecords.index(f));
      }
    } else {
      int i = 0;
      for (Path f : files) {
        for (TfRecords.Pointer p : TfRecords.index(f)) {
          (i++ % TfRecordDataset.HOLD_OUT_EVERY == TfRecordDataset.HOLD_OUT_EVERY - 1
                  ? eval
                  : train)
              .add(p);
        }
      }
    }
    Preconditions.checkArgument(!train.isEmpty(), "%s: no training clips", source);
    Preconditions.checkArgument(!eval.isEmpty(), "%s: no held-out clips", source);

    graph = new Graph();
    Ops tf = Ops.create(graph);
    encoded = tf.withName("frame").placeholder(TString.class);
    position = tf.withName("position").placeholder(TFloat32.class, Placeholder.shape(Shape.of(2)));
    flip = tf.withName("flip").placeholder(TBool.class, Placeholder.shape(Shape.scalar()));
    output = frameOps(tf);
    session = new Session(graph);
  }

  /**
   * One frame: decode, resize the shorter side to {@code min_resize}, crop {@code crop_size} at a
   * relative position ({@code 0} = top/left, {@code 1} = bottom/right), flip, normalise.
   */
  private Operand<TFloat32> frameOps(Ops tf) {
    int crop = sampling.cropSize();
    Operand<TUint8> img =
        tf.image.decodeImage(
            encoded,
            TUint8.class,
            DecodeImage.channels((long) frame.channels()),
            DecodeImage.expandAnimations(false));
    Operand<TFloat32> hw =
        tf.dtypes.cast(
            tf.slice(tf.shape(img), tf.constant(new int[] {0}), tf.constant(new int[] {2})),
            TFloat32.class);
    Operand<TFloat32> scale =
        tf.math.div(tf.constant((float) sampling.minResize()), tf.min(hw, tf.constant(0)));
    Operand<TInt32> size =
        tf.math.maximum(
            tf.dtypes.cast(tf.math.round(tf.math.mul(hw, scale)), TInt32.class),
            tf.constant(new int[] {crop, crop}));
    Operand<TFloat32> big =
        tf.image.resizeBilinear(
            tf.expandDims(img, tf.constant(0)), size, ResizeBilinear.halfPixelCenters(true));
    Operand<TFloat32> spare = tf.dtypes.cast(tf.math.sub(size, tf.constant(crop)), TFloat32.class);
    Operand<TInt32> offset =
        tf.math.minimum(
            tf.dtypes.cast(
                tf.math.floor(tf.math.mul(position, tf.math.add(spare, tf.constant(1f)))),
                TInt32.class),
            tf.dtypes.cast(spare, TInt32.class));
    Operand<TInt32> begin =
        tf.concat(
            List.of(tf.constant(new int[] {0}), offset, tf.constant(new int[] {0})),
            tf.constant(0));
    Operand<TFloat32> cropped =
        tf.reshape(
            tf.slice(big, begin, tf.constant(new int[] {1, crop, crop, frame.channels()})),
            tf.constant(new int[] {crop, crop, frame.channels()}));
    Operand<TFloat32> flipped =
        tf.select(flip, tf.reverse(cropped, tf.constant(new int[] {1})), cropped);
    return tf.withName("clip_frame").identity(frame.normalize(tf, flipped));
  }

  private static String name(Path p) {
    return p.getFileName().toString().toLowerCase(Locale.ROOT);
  }

  /**
   * Serialises a clip as DMVR writes it (for tests and converters).
   *
   * @param frames encoded frames (JPEG)
   * @param label the class label
   * @return the serialised {@code tf.train.SequenceExample}
   */
  public static byte[] sequenceExample(List<byte[]> frames, long label) {
    FeatureList.Builder list = FeatureList.newBuilder();
    for (byte[] f : frames) {
      list.addFeature(
          Feature.newBuilder()
              .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFrom(f))));
    }
    return SequenceExample.newBuilder()
        .setContext(
            Features.newBuilder()
                .putFeature(
                    LABEL,
                    Feature.newBuilder()
                        .setInt64List(Int64List.newBuilder().addValue(label))
                        .build()))
        .setFeatureLists(FeatureLists.newBuilder().putFeatureList(FRAMES, list.build()))
        .build()
        .toByteArray();
  }

  /** A parsed clip: its frames and label. */
  private record Clip(List<ByteString> frames, int label, String what) {}

  private Clip read(TfRecords.Pointer p) throws IOException {
    String what = p.file() + " record at byte " + p.offset();
    SequenceExample ex;
    try {
      ex = SequenceExample.parseFrom(TfRecords.read(p));
    } catch (InvalidProtocolBufferException e) {
      throw new TfRecordFormatException(
          p.file(), p.offset(), "record is not a tf.train.SequenceExample: " + e.getMessage(), e);
    }
    Feature label = ex.getContext().getFeatureMap().get(LABEL);
    if (label == null || label.getInt64List().getValueCount() != 1) {
      throw new TfRecordFormatException(
          p.file(),
          p.offset(),
          "expected one int64 in context feature '"
              + LABEL
              + "'; context features: "
              + ex.getContext().getFeatureMap().keySet());
    }
    long l = label.getInt64List().getValue(0);
    if (l < 0 || l >= numClasses) {
      throw new TfRecordFormatException(
          p.file(), p.offset(), "label " + l + " outside [0, num_classes=" + numClasses + ")");
    }
    FeatureList list = ex.getFeatureLists().getFeatureListMap().get(FRAMES);
    if (list == null) {
      throw new TfRecordFormatException(
          p.file(),
          p.offset(),
          "no feature list '"
              + FRAMES
              + "'; feature lists: "
              + ex.getFeatureLists().getFeatureListMap().keySet());
    }
    List<ByteString> frames = new ArrayList<>(list.getFeatureCount());
    for (Feature f : list.getFeatureList()) {
      if (f.getBytesList().getValueCount() != 1) {
        throw new TfRecordFormatException(
            p.file(), p.offset(), "frame " + frames.size() + " is not one bytes value");
      }
      frames.add(f.getBytesList().getValue(0));
    }
    if (frames.size() < sampling.numFrames()) {
      throw new TfRecordFormatException(
          p.file(),
          p.offset(),
          "clip has " + frames.size() + " frames, fewer than num_frames=" + sampling.numFrames());
    }
    return new Clip(frames, (int) l, what);
  }

  private void writeClip(
      Clip clip, int start, float u, float v, boolean flipped, float[] dst, int offset)
      throws IOException {
    int per = sampling.cropSize() * sampling.cropSize() * frame.channels();
    int[] idx = sampling.frames(start, clip.frames().size());
    try (TFloat32 pos = TFloat32.vectorOf(u, v);
        TBool f = TBool.scalarOf(flipped)) {
      for (int t = 0; t < idx.length; t++) {
        byte[] bytes = clip.frames().get(idx[t]).toByteArray();
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
          throw new IOException(
              clip.what() + ", frame " + idx[t] + ": cannot decode image: " + m, e);
        }
      }
    }
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    Clip clip = read(train.get(Math.toIntExact(index)));
    int last = Math.max(clip.frames().size() - sampling.span(), 0);
    int start = random.nextInt(last + 1);
    writeClip(
        clip,
        start,
        (float) random.nextDouble(),
        (float) random.nextDouble(),
        random.nextBoolean(),
        dst,
        offset);
    return clip.label();
  }

  @Override
  public int eval(long index, float[] dst, int offset) throws IOException {
    Clip clip = read(eval.get(Math.toIntExact(index)));
    int last = Math.max(clip.frames().size() - sampling.span(), 0);
    writeClip(clip, last / 2, 0.5f, 0.5f, false, dst, offset);
    return clip.label();
  }

  /**
   * One view of multi-view evaluation: clip {@code view / crops} of {@link
   * VideoSampling#testStarts}, and spatial crop {@code view % crops} (left/top, centre,
   * right/bottom along the longer side with {@code do_three_spatial_crops}, else the centre).
   *
   * @param index the held-out clip
   * @param view in {@code [0, numViews())}
   * @param dst destination
   * @param offset first float of the clip in {@code dst}
   * @return the label
   * @throws IOException if the clip cannot be read
   */
  public int evalView(long index, int view, float[] dst, int offset) throws IOException {
    Preconditions.checkArgument(
        view >= 0 && view < sampling.numViews(),
        "view %s outside [0, %s)",
        view,
        sampling.numViews());
    Clip clip = read(eval.get(Math.toIntExact(index)));
    int crops = sampling.threeSpatialCrops() ? 3 : 1;
    int start = sampling.testStarts(clip.frames().size())[view / crops];
    float where = crops == 1 ? 0.5f : (view % crops) / 2f;
    // Both axes get the same relative position: the shorter one has no spare pixels, so only the
    // longer side moves.
    writeClip(clip, start, where, where, false, dst, offset);
    return clip.label();
  }

  /**
   * Views per held-out clip.
   *
   * @return {@code num_test_clips * (3 or 1)}
   */
  public int numViews() {
    return sampling.numViews();
  }

  @Override
  public String describe() {
    return NAME
        + "("
        + source
        + ", "
        + train.size()
        + " train / "
        + eval.size()
        + " held-out clips of "
        + sampling.numFrames()
        + " frames)";
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public int[] exampleShape() {
    return new int[] {
      sampling.numFrames(), sampling.cropSize(), sampling.cropSize(), frame.channels()
    };
  }

  @Override
  public long numTrain() {
    return train.size();
  }

  @Override
  public long numEval() {
    return eval.size();
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
