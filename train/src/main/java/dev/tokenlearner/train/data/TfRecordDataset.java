package dev.tokenlearner.train.data;

import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.graph.preprocess.EvalPreprocessor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Image-classification TFRecord files of {@code tf.train.Example}s with {@code image/encoded} and
 * {@code image/class/label} (classic ImageNet converters) or TFDS's {@code image} and {@code
 * label}, read in Java (framing and CRC-32C checks in {@link TfRecords}); sharded files such as
 * {@code train-00000-of-01024} or TFDS's {@code imagenet2012-train.tfrecord-00000-of-01024}.
 *
 * <p>Input: one file, or a folder of files. In a folder, files whose names contain {@code train}
 * form the training split and those containing {@code val}, {@code eval} or {@code test} the
 * held-out split; if the names make no such split (or for a single file), every {@link
 * #HOLD_OUT_EVERY}-th record is held out. Record headers are indexed up front; the data of a record
 * is read, checked and decoded when a batch needs it.
 */
public final class TfRecordDataset implements ImageDataset {

  /** Name of this dataset in {@code dataset_name}. */
  public static final String NAME = "tfrecord";

  /** One record in this many is held out when the files make no split. */
  public static final int HOLD_OUT_EVERY = 10;

  private final Path source;
  private final List<TfRecords.Pointer> train = new ArrayList<>();
  private final List<TfRecords.Pointer> eval = new ArrayList<>();
  private final EvalPreprocessing preprocessing;
  private final EvalPreprocessor evalPreprocessor;
  private final TrainPreprocessing trainPreprocessing;
  private final int numClasses;

  /**
   * Indexes the files.
   *
   * @param source a TFRecord file or a folder of them
   * @param preprocessing model input size, channels and normalisation; held-out images go through
   *     exactly this
   * @param numClasses labels must lie in {@code [0, numClasses)}
   * @throws TfRecordFormatException if a record header is corrupt
   * @throws IOException if a file cannot be read
   * @throws IllegalArgumentException if there are no records or a split is empty
   */
  public TfRecordDataset(Path source, EvalPreprocessing preprocessing, int numClasses)
      throws IOException {
    this.source = source;
    this.preprocessing = preprocessing;
    this.numClasses = numClasses;
    TfRecords.Split split = TfRecords.split(source, HOLD_OUT_EVERY, "records");
    train.addAll(split.train());
    eval.addAll(split.eval());
    this.evalPreprocessor = new EvalPreprocessor(preprocessing);
    this.trainPreprocessing = new TrainPreprocessing(preprocessing);
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
        + " held-out records)";
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public int[] exampleShape() {
    return new int[] {preprocessing.height(), preprocessing.width(), preprocessing.channels()};
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
  public int train(long index, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    return load(train.get(Math.toIntExact(index)), random, dst, offset);
  }

  @Override
  public boolean hasPixels() {
    return true;
  }

  @Override
  public int trainPixels(long index, SplittableRandom random, byte[] dst, int offset)
      throws IOException {
    TfRecords.Pointer p = train.get(Math.toIntExact(index));
    TfExamples.LabelledImage ex = example(p);
    trainPreprocessing.runPixels(ex.encoded(), what(p), random, dst, offset);
    return (int) ex.label();
  }

  @Override
  public int[] trainPixels(long[] indices, SplittableRandom[] random, byte[] dst)
      throws IOException {
    byte[][] bytes = new byte[indices.length][];
    String[] what = new String[indices.length];
    int[] labels = new int[indices.length];
    for (int j = 0; j < indices.length; j++) {
      TfRecords.Pointer p = train.get(Math.toIntExact(indices[j]));
      TfExamples.LabelledImage ex = example(p);
      bytes[j] = ex.encoded();
      what[j] = what(p);
      labels[j] = (int) ex.label();
    }
    trainPreprocessing.runPixels(bytes, what, random, dst);
    return labels;
  }

  @Override
  public int eval(long index, float[] dst, int offset) throws IOException {
    return load(eval.get(Math.toIntExact(index)), null, dst, offset);
  }

  /** Reads and parses one record, checking its label. */
  private TfExamples.LabelledImage example(TfRecords.Pointer p) throws IOException {
    TfExamples.LabelledImage ex = TfExamples.parse(TfRecords.read(p), p.file(), p.offset());
    if (ex.label() < 0 || ex.label() >= numClasses) {
      throw new TfRecordFormatException(
          p.file(),
          p.offset(),
          "label " + ex.label() + " outside [0, num_classes=" + numClasses + ")");
    }
    return ex;
  }

  private static String what(TfRecords.Pointer p) {
    return p.file() + " record at byte " + p.offset();
  }

  private int load(TfRecords.Pointer p, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    TfExamples.LabelledImage ex = example(p);
    String what = what(p);
    if (random == null) {
      evalPreprocessor.run(ex.encoded(), what, dst, offset);
    } else {
      trainPreprocessing.run(ex.encoded(), what, random, dst, offset);
    }
    return (int) ex.label();
  }

  @Override
  public void close() {
    evalPreprocessor.close();
    trainPreprocessing.close();
  }
}
