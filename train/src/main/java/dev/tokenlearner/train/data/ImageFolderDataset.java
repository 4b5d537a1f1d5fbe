package dev.tokenlearner.train.data;

import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.graph.preprocess.EvalPreprocessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Images in one sub-folder per class (JPEG, PNG, BMP or GIF, decoded with ImageIO), labelled by the
 * sorted order of the class folder names.
 *
 * <p>Split: if the root holds {@code train/} and one of {@code val/}, {@code validation/}, {@code
 * eval/} or {@code test/}, each with the same class folders, those are the splits; otherwise the
 * root's class folders are split, every {@link #HOLD_OUT_EVERY}-th file of each class (in name
 * order) held out. Images are decoded when a batch needs them (on the producer thread).
 */
public final class ImageFolderDataset implements ImageDataset {

  /** Name of this dataset in {@code dataset_name}. */
  public static final String NAME = "image_folder";

  /** One file in this many is held out when the folder has no split of its own. */
  public static final int HOLD_OUT_EVERY = 10;

  /** File extensions read (lower case). */
  public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

  private static final List<String> EVAL_DIRS = List.of("val", "validation", "eval", "test");

  private final Path root;
  private final List<String> classes;
  private final List<Path> trainFiles = new ArrayList<>();
  private final List<Integer> trainLabels = new ArrayList<>();
  private final List<Path> evalFiles = new ArrayList<>();
  private final List<Integer> evalLabels = new ArrayList<>();
  private final EvalPreprocessing preprocessing;
  private final EvalPreprocessor evalPreprocessor;
  private final TrainPreprocessing trainPreprocessing;

  /**
   * Scans the folder.
   *
   * @param root the dataset folder
   * @param preprocessing model input size, channels and normalisation; held-out images go through
   *     exactly this
   * @throws InvalidInputException if the folder has no class folders or a split is empty
   * @throws IOException if the folder cannot be listed
   */
  public ImageFolderDataset(Path root, EvalPreprocessing preprocessing) throws IOException {
    this.root = root;
    this.preprocessing = preprocessing;
    Path trainDir = root.resolve("train");
    Path evalDir =
        EVAL_DIRS.stream().map(root::resolve).filter(Files::isDirectory).findFirst().orElse(null);
    if (Files.isDirectory(trainDir) && evalDir != null) {
      classes = classFolders(trainDir);
      List<String> evalClasses = classFolders(evalDir);
      if (!evalClasses.equals(classes)) {
        throw new InvalidInputException(
            String.format(
                "%s and %s must hold the same class folders, found %s and %s; add or rename"
                    + " folders so both list the same classes",
                trainDir, evalDir, classes, evalClasses));
      }
      for (int c = 0; c < classes.size(); c++) {
        for (Path f : images(trainDir.resolve(classes.get(c)))) {
          trainFiles.add(f);
          trainLabels.add(c);
        }
        for (Path f : images(evalDir.resolve(classes.get(c)))) {
          evalFiles.add(f);
          evalLabels.add(c);
        }
      }
    } else {
      classes = classFolders(root);
      for (int c = 0; c < classes.size(); c++) {
        List<Path> files = images(root.resolve(classes.get(c)));
        for (int i = 0; i < files.size(); i++) {
          boolean held = i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1;
          (held ? evalFiles : trainFiles).add(files.get(i));
          (held ? evalLabels : trainLabels).add(c);
        }
      }
    }
    if (trainFiles.isEmpty()) {
      throw new InvalidInputException(
          root + ": no training images (" + EXTENSIONS + ") in its class folders");
    }
    if (evalFiles.isEmpty()) {
      throw new InvalidInputException(
          root
              + ": no held-out images; add a val/ folder or at least "
              + HOLD_OUT_EVERY
              + " images per class");
    }
    this.evalPreprocessor = new EvalPreprocessor(preprocessing);
    this.trainPreprocessing = new TrainPreprocessing(preprocessing);
  }

  private static List<String> classFolders(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .forEach(out::add);
    }
    if (out.isEmpty()) {
      throw new InvalidInputException(
          dir
              + ": no class folders; put each class's images in its own sub-folder (DIR/CLASS/*.png)");
    }
    return out;
  }

  private static List<Path> images(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).filter(ImageFolderDataset::isImage).sorted().toList();
    }
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  /**
   * Returns the class names in label order.
   *
   * @return the class folder names, sorted
   */
  public List<String> classes() {
    return classes;
  }

  @Override
  public String describe() {
    return NAME
        + "("
        + root
        + ", "
        + classes.size()
        + " classes, "
        + trainFiles.size()
        + " train / "
        + evalFiles.size()
        + " held-out)";
  }

  @Override
  public int numClasses() {
    return classes.size();
  }

  @Override
  public int[] exampleShape() {
    return new int[] {preprocessing.height(), preprocessing.width(), preprocessing.channels()};
  }

  @Override
  public long numTrain() {
    return trainFiles.size();
  }

  @Override
  public long numEval() {
    return evalFiles.size();
  }

  @Override
  public int train(long index, SplittableRandom random, float[] dst, int offset)
      throws IOException {
    int i = Math.toIntExact(index);
    load(trainFiles.get(i), random, dst, offset);
    return trainLabels.get(i);
  }

  @Override
  public boolean hasPixels() {
    return true;
  }

  @Override
  public int trainPixels(long index, SplittableRandom random, byte[] dst, int offset)
      throws IOException {
    int i = Math.toIntExact(index);
    Path f = trainFiles.get(i);
    trainPreprocessing.runPixels(Files.readAllBytes(f), f.toString(), random, dst, offset);
    return trainLabels.get(i);
  }

  @Override
  public int[] trainPixels(long[] indices, SplittableRandom[] random, byte[] dst)
      throws IOException {
    byte[][] bytes = new byte[indices.length][];
    String[] what = new String[indices.length];
    int[] labels = new int[indices.length];
    for (int j = 0; j < indices.length; j++) {
      int i = Math.toIntExact(indices[j]);
      Path f = trainFiles.get(i);
      bytes[j] = Files.readAllBytes(f);
      what[j] = f.toString();
      labels[j] = trainLabels.get(i);
    }
    trainPreprocessing.runPixels(bytes, what, random, dst);
    return labels;
  }

  @Override
  public int eval(long index, float[] dst, int offset) throws IOException {
    int i = Math.toIntExact(index);
    Path f = evalFiles.get(i);
    evalPreprocessor.run(Files.readAllBytes(f), f.toString(), dst, offset);
    return evalLabels.get(i);
  }

  private void load(Path f, SplittableRandom random, float[] dst, int offset) throws IOException {
    trainPreprocessing.run(Files.readAllBytes(f), f.toString(), random, dst, offset);
  }

  @Override
  public void close() {
    evalPreprocessor.close();
    trainPreprocessing.close();
  }
}
