package dev.tokenlearner.train.data;

import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Videos as folders of frames, for users without TFRecords: {@code <root>/<class>/<clip>/} holds
 * one clip's frames (JPEG or PNG, in name order), labelled by the sorted class folder names. Split
 * and sampling as {@link VideoTfRecordDataset}: {@code train/} beside {@code val/} (or {@code
 * validation/}, {@code eval/}, {@code test/}), else every 10th clip of each class held out.
 */
public final class VideoFolderDataset implements VideoDataset {

  /** Name of this dataset in {@code dataset_name}. */
  public static final String NAME = "video_folder";

  private final Path root;
  private final VideoSampling sampling;
  private final EvalPreprocessing frame;
  private final List<String> classes;
  private final List<Path> train;
  private final List<Integer> trainLabels;
  private final List<Path> eval;
  private final List<Integer> evalLabels;
  private final VideoFrames frames;

  /**
   * Scans the folders and builds the frame graph.
   *
   * @param root the dataset folder
   * @param sampling clip sampling
   * @param frame frame size, channels and normalisation
   * @throws IOException if a folder cannot be listed
   * @throws dev.tokenlearner.core.InvalidInputException if there are no classes or a split is empty
   */
  public VideoFolderDataset(Path root, VideoSampling sampling, EvalPreprocessing frame)
      throws IOException {
    this.root = root;
    this.sampling = sampling;
    this.frame = frame;
    VideoSplit split = VideoSplit.scan(root, Files::isDirectory);
    this.classes = split.classes();
    this.train = split.train();
    this.trainLabels = split.trainLabels();
    this.eval = split.eval();
    this.evalLabels = split.evalLabels();
    this.frames = new VideoFrames(sampling, frame);
  }

  /**
   * Whether a folder looks like {@code <class>/<clip>/<frames>}.
   *
   * @param root a folder
   * @return true if its first class folder holds a folder
   * @throws IOException if it cannot be listed
   */
  public static boolean isVideoFolder(Path root) throws IOException {
    return VideoSplit.looksLike(root, Files::isDirectory);
  }

  private static List<Path> frameFiles(Path clip) throws IOException {
    try (Stream<Path> s = Files.list(clip)) {
      List<Path> out =
          s.filter(Files::isRegularFile)
              .filter(
                  p -> {
                    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                    return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
                  })
              .sorted()
              .toList();
      return out;
    }
  }

  private List<Path> checkedFrames(Path clip) throws IOException {
    List<Path> f = frameFiles(clip);
    if (f.size() < sampling.numFrames()) {
      throw new DatasetFormatException(
          clip, "clip has " + f.size() + " frames, fewer than num_frames=" + sampling.numFrames());
    }
    return f;
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    int i = Math.toIntExact(index);
    List<Path> f = checkedFrames(train.get(i));
    int last = Math.max(f.size() - sampling.span(), 0);
    frames.write(
        k -> Files.readAllBytes(f.get(k)),
        f.size(),
        train.get(i).toString(),
        random.nextInt(last + 1),
        (float) random.nextDouble(),
        (float) random.nextDouble(),
        random.nextBoolean(),
        dst,
        offset);
    return trainLabels.get(i);
  }

  @Override
  public int eval(long index, float[] dst, int offset) throws IOException {
    int i = Math.toIntExact(index);
    List<Path> f = checkedFrames(eval.get(i));
    int last = Math.max(f.size() - sampling.span(), 0);
    frames.write(
        k -> Files.readAllBytes(f.get(k)),
        f.size(),
        eval.get(i).toString(),
        last / 2,
        0.5f,
        0.5f,
        false,
        dst,
        offset);
    return evalLabels.get(i);
  }

  @Override
  public int evalView(long index, int view, float[] dst, int offset) throws IOException {
    int i = Math.toIntExact(index);
    List<Path> f = checkedFrames(eval.get(i));
    float where = sampling.viewPosition(view);
    frames.write(
        k -> Files.readAllBytes(f.get(k)),
        f.size(),
        eval.get(i).toString(),
        sampling.viewStart(view, f.size()),
        where,
        where,
        false,
        dst,
        offset);
    return evalLabels.get(i);
  }

  @Override
  public int numViews() {
    return sampling.numViews();
  }

  @Override
  public String describe() {
    return NAME
        + "("
        + root
        + ", "
        + classes.size()
        + " classes, "
        + train.size()
        + " train / "
        + eval.size()
        + " held-out clips)";
  }

  @Override
  public int numClasses() {
    return classes.size();
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
