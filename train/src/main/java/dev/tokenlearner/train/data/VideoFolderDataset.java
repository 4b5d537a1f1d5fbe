package dev.tokenlearner.train.data;

import com.google.common.base.Preconditions;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
public final class VideoFolderDataset implements ImageDataset {

  /** Name of this dataset in {@code dataset_name}. */
  public static final String NAME = "video_folder";

  private static final List<String> EVAL_DIRS = List.of("val", "validation", "eval", "test");

  private final Path root;
  private final VideoSampling sampling;
  private final EvalPreprocessing frame;
  private final List<String> classes;
  private final List<Path> train = new ArrayList<>();
  private final List<Integer> trainLabels = new ArrayList<>();
  private final List<Path> eval = new ArrayList<>();
  private final List<Integer> evalLabels = new ArrayList<>();
  private final VideoFrames frames;

  /**
   * Scans the folders and builds the frame graph.
   *
   * @param root the dataset folder
   * @param sampling clip sampling
   * @param frame frame size, channels and normalisation
   * @throws IOException if a folder cannot be listed
   * @throws IllegalArgumentException if there are no classes or a split is empty
   */
  public VideoFolderDataset(Path root, VideoSampling sampling, EvalPreprocessing frame)
      throws IOException {
    this.root = root;
    this.sampling = sampling;
    this.frame = frame;
    Path trainDir = root.resolve("train");
    Path evalDir =
        EVAL_DIRS.stream().map(root::resolve).filter(Files::isDirectory).findFirst().orElse(null);
    if (Files.isDirectory(trainDir) && evalDir != null) {
      classes = folders(trainDir);
      for (int c = 0; c < classes.size(); c++) {
        for (Path clip : subfolders(trainDir.resolve(classes.get(c)))) {
          train.add(clip);
          trainLabels.add(c);
        }
        Path ev = evalDir.resolve(classes.get(c));
        if (Files.isDirectory(ev)) {
          for (Path clip : subfolders(ev)) {
            eval.add(clip);
            evalLabels.add(c);
          }
        }
      }
    } else {
      classes = folders(root);
      for (int c = 0; c < classes.size(); c++) {
        List<Path> clips = subfolders(root.resolve(classes.get(c)));
        for (int i = 0; i < clips.size(); i++) {
          boolean held = i % TfRecordDataset.HOLD_OUT_EVERY == TfRecordDataset.HOLD_OUT_EVERY - 1;
          (held ? eval : train).add(clips.get(i));
          (held ? evalLabels : trainLabels).add(c);
        }
      }
    }
    Preconditions.checkArgument(!train.isEmpty(), "%s: no training clips", root);
    Preconditions.checkArgument(
        !eval.isEmpty(),
        "%s: no held-out clips (add a val/ folder or at least %s clips per class)",
        root,
        TfRecordDataset.HOLD_OUT_EVERY);
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
    Path base = Files.isDirectory(root.resolve("train")) ? root.resolve("train") : root;
    List<String> cls = folders(base);
    return !cls.isEmpty() && !folders(base.resolve(cls.get(0))).isEmpty();
  }

  private static List<String> folders(Path dir) throws IOException {
    return subfolders(dir).stream().map(p -> p.getFileName().toString()).toList();
  }

  private static List<Path> subfolders(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    }
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
      throw new IOException(
          clip
              + ": clip has "
              + f.size()
              + " frames, fewer than num_frames="
              + sampling.numFrames());
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
    frames.close();
  }
}
