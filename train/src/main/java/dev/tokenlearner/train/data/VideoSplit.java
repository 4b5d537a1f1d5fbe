package dev.tokenlearner.train.data;

import dev.tokenlearner.core.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The clips of a video dataset laid out as {@code <root>/<class>/<clip>}, labelled by the sorted
 * class folder names, and split: {@code train/} beside {@code val/} (or {@code validation/}, {@code
 * eval/}, {@code test/}) when both exist, else every {@value TfRecordDataset#HOLD_OUT_EVERY}th clip
 * of each class (in name order) held out.
 *
 * @param classes class names, sorted; label {@code i} is {@code classes.get(i)}
 * @param train training clips
 * @param trainLabels their labels
 * @param eval held-out clips
 * @param evalLabels their labels
 */
record VideoSplit(
    List<String> classes,
    List<Path> train,
    List<Integer> trainLabels,
    List<Path> eval,
    List<Integer> evalLabels) {

  private static final List<String> EVAL_DIRS = List.of("val", "validation", "eval", "test");

  /**
   * Scans a dataset folder.
   *
   * @param root the dataset folder
   * @param isClip which entries of a class folder are clips
   * @return the split
   * @throws IOException if a folder cannot be listed
   * @throws InvalidInputException if a split is empty
   */
  static VideoSplit scan(Path root, Predicate<Path> isClip) throws IOException {
    List<Path> train = new ArrayList<>();
    List<Integer> trainLabels = new ArrayList<>();
    List<Path> eval = new ArrayList<>();
    List<Integer> evalLabels = new ArrayList<>();
    List<String> classes;
    Path trainDir = root.resolve("train");
    Path evalDir =
        EVAL_DIRS.stream().map(root::resolve).filter(Files::isDirectory).findFirst().orElse(null);
    if (Files.isDirectory(trainDir) && evalDir != null) {
      classes = folders(trainDir);
      for (int c = 0; c < classes.size(); c++) {
        for (Path clip : entries(trainDir.resolve(classes.get(c)), isClip)) {
          train.add(clip);
          trainLabels.add(c);
        }
        Path ev = evalDir.resolve(classes.get(c));
        if (Files.isDirectory(ev)) {
          for (Path clip : entries(ev, isClip)) {
            eval.add(clip);
            evalLabels.add(c);
          }
        }
      }
    } else {
      classes = folders(root);
      for (int c = 0; c < classes.size(); c++) {
        List<Path> clips = entries(root.resolve(classes.get(c)), isClip);
        for (int i = 0; i < clips.size(); i++) {
          boolean held = i % TfRecordDataset.HOLD_OUT_EVERY == TfRecordDataset.HOLD_OUT_EVERY - 1;
          (held ? eval : train).add(clips.get(i));
          (held ? evalLabels : trainLabels).add(c);
        }
      }
    }
    if (train.isEmpty()) {
      throw new InvalidInputException(root + ": no training clips in its class folders");
    }
    if (eval.isEmpty()) {
      throw new InvalidInputException(
          root
              + ": no held-out clips; add a val/ folder or at least "
              + TfRecordDataset.HOLD_OUT_EVERY
              + " clips per class");
    }
    return new VideoSplit(classes, train, trainLabels, eval, evalLabels);
  }

  /**
   * Whether the first class folder of {@code root} (or of {@code root/train}) holds a clip.
   *
   * @param root a folder
   * @param isClip which entries of a class folder are clips
   * @return true if it looks like {@code <class>/<clip>}
   * @throws IOException if it cannot be listed
   */
  static boolean looksLike(Path root, Predicate<Path> isClip) throws IOException {
    Path base = Files.isDirectory(root.resolve("train")) ? root.resolve("train") : root;
    List<String> cls = folders(base);
    return !cls.isEmpty() && !entries(base.resolve(cls.get(0)), isClip).isEmpty();
  }

  private static List<String> folders(Path dir) throws IOException {
    return entries(dir, Files::isDirectory).stream().map(p -> p.getFileName().toString()).toList();
  }

  private static List<Path> entries(Path dir, Predicate<Path> keep) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(keep)
          .sorted()
          .toList();
    }
  }
}
