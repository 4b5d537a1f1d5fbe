package dev.tokenlearner.train.data;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.FeatureList;
import org.tensorflow.proto.FeatureLists;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.Int64List;
import org.tensorflow.proto.SequenceExample;

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
public final class VideoTfRecordDataset implements VideoDataset {

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
  private final VideoFrames frames;

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
    TfRecords.Split split = TfRecords.split(source, TfRecordDataset.HOLD_OUT_EVERY, "clips");
    train.addAll(split.train());
    eval.addAll(split.eval());
    this.frames = new VideoFrames(sampling, frame);
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
  record Clip(List<ByteString> frames, int label, String what) {}

  private Clip read(TfRecords.Pointer p) throws IOException {
    return parse(TfRecords.read(p), p.file(), p.offset(), numClasses, sampling.numFrames());
  }

  /**
   * Parses one DMVR record: a {@code tf.train.SequenceExample} with the label in context feature
   * {@value #LABEL} and one encoded frame per entry of feature list {@value #FRAMES}.
   *
   * @param record the record's bytes
   * @param file the file it came from, for messages
   * @param offset its byte offset in the file, for messages
   * @param numClasses labels must lie in {@code [0, numClasses)}
   * @param minFrames the fewest frames a clip may have ({@code num_frames})
   * @return the clip
   * @throws TfRecordFormatException naming the file and offset if the record is not such a clip
   */
  static Clip parse(byte[] record, Path file, long offset, int numClasses, int minFrames)
      throws TfRecordFormatException {
    String what = file + " record at byte " + offset;
    SequenceExample ex;
    try {
      ex = SequenceExample.parseFrom(record);
    } catch (InvalidProtocolBufferException e) {
      throw new TfRecordFormatException(
          file, offset, "record is not a tf.train.SequenceExample: " + e.getMessage(), e);
    }
    Feature label = ex.getContext().getFeatureMap().get(LABEL);
    if (label == null || label.getInt64List().getValueCount() != 1) {
      throw new TfRecordFormatException(
          file,
          offset,
          "expected one int64 in context feature '"
              + LABEL
              + "'; context features: "
              + ex.getContext().getFeatureMap().keySet());
    }
    long l = label.getInt64List().getValue(0);
    if (l < 0 || l >= numClasses) {
      throw new TfRecordFormatException(
          file, offset, "label " + l + " outside [0, num_classes=" + numClasses + ")");
    }
    FeatureList list = ex.getFeatureLists().getFeatureListMap().get(FRAMES);
    if (list == null) {
      throw new TfRecordFormatException(
          file,
          offset,
          "no feature list '"
              + FRAMES
              + "'; feature lists: "
              + ex.getFeatureLists().getFeatureListMap().keySet());
    }
    List<ByteString> frames = new ArrayList<>(list.getFeatureCount());
    for (Feature f : list.getFeatureList()) {
      if (f.getBytesList().getValueCount() != 1) {
        throw new TfRecordFormatException(
            file, offset, "frame " + frames.size() + " is not one bytes value");
      }
      frames.add(f.getBytesList().getValue(0));
    }
    if (frames.size() < minFrames) {
      throw new TfRecordFormatException(
          file,
          offset,
          "clip has " + frames.size() + " frames, fewer than num_frames=" + minFrames);
    }
    return new Clip(frames, (int) l, what);
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    Clip clip = read(train.get(Math.toIntExact(index)));
    int last = Math.max(clip.frames().size() - sampling.span(), 0);
    int start = random.nextInt(last + 1);
    frames.write(
        i -> clip.frames().get(i).toByteArray(),
        clip.frames().size(),
        clip.what(),
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
    frames.write(
        i -> clip.frames().get(i).toByteArray(),
        clip.frames().size(),
        clip.what(),
        last / 2,
        0.5f,
        0.5f,
        false,
        dst,
        offset);
    return clip.label();
  }

  @Override
  public int evalView(long index, int view, float[] dst, int offset) throws IOException {
    if (view < 0 || view >= sampling.numViews()) {
      throw new IllegalArgumentException(
          "view " + view + " outside [0, " + sampling.numViews() + ")");
    }
    Clip clip = read(eval.get(Math.toIntExact(index)));
    float where = sampling.viewPosition(view);
    frames.write(
        i -> clip.frames().get(i).toByteArray(),
        clip.frames().size(),
        clip.what(),
        sampling.viewStart(view, clip.frames().size()),
        where,
        where,
        false,
        dst,
        offset);
    return clip.label();
  }

  @Override
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
    return sampling.clipShape(frame.channels());
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
    frames.close();
  }
}
