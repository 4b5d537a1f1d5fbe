package dev.tokenlearner.train.data;

import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.train.data.VideoFileException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plain video files, for users without TFRecords: {@code <root>/<class>/<video>} with the videos in
 * any container and codec FFmpeg reads (.mp4, .m4v, .mkv, .webm, .avi, .mov), labelled by the
 * sorted class folder names. Split and sampling as {@link VideoFolderDataset}: {@code train/}
 * beside {@code val/} (or {@code validation/}, {@code eval/}, {@code test/}), else every 10th video
 * of each class held out; {@code num_frames} frames every {@code stride}, resized so the shorter
 * side is {@code min_resize}, one {@code crop_size} crop per clip.
 *
 * <p>Frames are decoded with FFmpeg (JavaCPP presets) only up to the last one a clip needs, and
 * converted to RGB; a video's frame count is read once and kept. A file FFmpeg cannot open, one
 * without a video stream, or one with fewer frames than a clip spans ({@code (num_frames - 1) *
 * stride + 1}) is a {@link VideoFileException} naming the file (skipped with a count in training
 * when {@code dataset_configs.skip_bad_examples} is on).
 */
public final class VideoFileDataset implements VideoDataset {

  /** Name of this dataset in {@code dataset_name}. */
  public static final String NAME = "video_files";

  /** File name endings read as videos (lower case). */
  public static final List<String> EXTENSIONS =
      List.of(".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mov");

  private final Path root;
  private final VideoSampling sampling;
  private final EvalPreprocessing frame;
  private final VideoSplit split;
  private final VideoFrames frames;
  private final Map<Path, Integer> lengths = new ConcurrentHashMap<>();

  /**
   * Scans the folders and builds the frame graph; no video is opened yet.
   *
   * @param root the dataset folder
   * @param sampling clip sampling
   * @param frame frame size, channels and normalisation
   * @throws IOException if a folder cannot be listed
   * @throws dev.tokenlearner.core.InvalidInputException if there are no classes or a split is empty
   */
  public VideoFileDataset(Path root, VideoSampling sampling, EvalPreprocessing frame)
      throws IOException {
    this.root = root;
    this.sampling = sampling;
    this.frame = frame;
    this.split = VideoSplit.scan(root, VideoFileDataset::isVideoFile);
    this.frames = new VideoFrames(sampling, frame);
  }

  /**
   * Whether a path is a regular file with a video file name ending.
   *
   * @param p a path
   * @return true for e.g. {@code clip.MP4}
   */
  public static boolean isVideoFile(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(p) && EXTENSIONS.stream().anyMatch(n::endsWith);
  }

  /**
   * Whether a folder looks like {@code <class>/<video file>}.
   *
   * @param root a folder
   * @return true if its first class folder holds a video file
   * @throws IOException if it cannot be listed
   */
  public static boolean isVideoFileFolder(Path root) throws IOException {
    return VideoSplit.looksLike(root, VideoFileDataset::isVideoFile);
  }

  /** Frames in a video, read once; at least a clip's span. */
  private int length(Path file) throws VideoFileException {
    Integer n = lengths.get(file);
    if (n == null) {
      n = VideoFileDecoder.frameCount(file);
      lengths.put(file, n);
    }
    if (n < sampling.span()) {
      throw new VideoFileException(
          file,
          Reason.TOO_SHORT,
          "video has "
              + n
              + " frames, fewer than a clip spans ((num_frames - 1) * stride + 1 = "
              + sampling.span()
              + " for num_frames="
              + sampling.numFrames()
              + ", stride="
              + sampling.stride()
              + ")");
    }
    return n;
  }

  private void write(
      Path file, int start, float u, float v, boolean flipped, float[] dst, int offset)
      throws IOException {
    frames.writeRgb(
        idx -> VideoFileDecoder.decode(file, idx), length(file), start, u, v, flipped, dst, offset);
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    int i = Math.toIntExact(index);
    Path file = split.train().get(i);
    int last = length(file) - sampling.span();
    write(
        file,
        random.nextInt(last + 1),
        (float) random.nextDouble(),
        (float) random.nextDouble(),
        random.nextBoolean(),
        dst,
        offset);
    return split.trainLabels().get(i);
  }

  @Override
  public int eval(long index, float[] dst, int offset) throws IOException {
    int i = Math.toIntExact(index);
    Path file = split.eval().get(i);
    write(file, (length(file) - sampling.span()) / 2, 0.5f, 0.5f, false, dst, offset);
    return split.evalLabels().get(i);
  }

  @Override
  public int evalView(long index, int view, float[] dst, int offset) throws IOException {
    int i = Math.toIntExact(index);
    Path file = split.eval().get(i);
    float where = sampling.viewPosition(view);
    write(file, sampling.viewStart(view, length(file)), where, where, false, dst, offset);
    return split.evalLabels().get(i);
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
        + split.classes().size()
        + " classes, "
        + split.train().size()
        + " train / "
        + split.eval().size()
        + " held-out videos)";
  }

  @Override
  public int numClasses() {
    return split.classes().size();
  }

  @Override
  public int[] exampleShape() {
    return sampling.clipShape(frame.channels());
  }

  @Override
  public long numTrain() {
    return split.train().size();
  }

  @Override
  public long numEval() {
    return split.eval().size();
  }

  @Override
  public void close() {
    frames.close();
  }
}
