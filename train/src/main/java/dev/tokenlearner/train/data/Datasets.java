package dev.tokenlearner.train.data;

import dev.tokenlearner.config.DatasetConfig;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.core.MissingFileException;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** Opens the dataset an experiment names: {@code dataset_name} and {@code dataset_configs}. */
public final class Datasets {

  /** Dataset names accepted in {@code dataset_name}. */
  public static final List<String> NAMES =
      List.of(
          ShapesDataset.NAME,
          ImageFolderDataset.NAME,
          TfRecordDataset.NAME,
          FashionMnistDataset.NAME,
          VideoTfRecordDataset.NAME,
          VideoFolderDataset.NAME,
          VideoFileDataset.NAME);

  private Datasets() {}

  /**
   * Opens the training data.
   *
   * <p>With {@code override}, the path decides: a folder with the Fashion-MNIST IDX files is {@code
   * fashion_mnist}, a folder with sub-folders is an image folder, anything else TFRecord files; for
   * a video input, class folders of video files are {@code video_files}, class folders of frame
   * folders {@code video_folder}, anything else DMVR TFRecords. Without it, {@code dataset_name}
   * decides (the embedded shapes when unset), reading {@code dataset_configs.data_dir} for the
   * file-based ones.
   *
   * @param cfg the experiment (input size, classes, dataset keys)
   * @param override a data path that replaces the config's
   * @return the dataset
   * @throws IllegalArgumentException if the name is unknown, a path is missing, the input is video
   *     or the class count differs from {@code num_classes}
   * @throws IOException if the data cannot be listed or indexed
   */
  public static ImageDataset open(ExperimentConfig cfg, Optional<Path> override)
      throws IOException {
    return open(cfg, override, Optional.empty());
  }

  /**
   * Opens the training data, with held-out data from another file.
   *
   * <p>A {@code .npz} data path is an {@link ArraysDataset} (images, video clips or both as
   * stored), whose held-out split is {@code evalOverride} when given, else the training arrays.
   *
   * @param cfg the experiment (input size, classes, dataset keys)
   * @param override a data path that replaces the config's
   * @param evalOverride held-out arrays ({@code .npz}) for an {@code .npz} data path
   * @return the dataset
   * @throws IllegalArgumentException as {@link #open(ExperimentConfig, Optional)}, or when {@code
   *     evalOverride} is given without {@code .npz} training data
   * @throws IOException if the data cannot be listed, indexed or read
   */
  public static ImageDataset open(
      ExperimentConfig cfg, Optional<Path> override, Optional<Path> evalOverride)
      throws IOException {
    if (override.isPresent() && ArraysDataset.accepts(override.get())) {
      return ArraysDataset.open(override.get(), evalOverride, cfg.input());
    }
    if (evalOverride.isPresent()) {
      throw new InvalidInputException(
          "held-out data " + evalOverride.get() + " is read only with .npz training data");
    }
    InputSpec in = cfg.input();
    DatasetConfig dc = cfg.train().dataset();
    Normalization norm = Normalization.of(cfg);
    EvalPreprocessing eval = EvalPreprocessing.of(in, norm);
    ImageDataset ds;
    if (in.isVideo()) {
      String name = dc.datasetName().orElse(VideoTfRecordDataset.NAME);
      List<String> videoNames =
          List.of(VideoTfRecordDataset.NAME, VideoFolderDataset.NAME, VideoFileDataset.NAME);
      if (override.isEmpty() && !videoNames.contains(name)) {
        throw new InvalidInputException(
            "video input (num_frames="
                + in.numFrames()
                + ") reads dataset_name "
                + videoNames
                + ", not '"
                + name
                + "'");
      }
      VideoSampling sampling = VideoSampling.of(cfg);
      Path p =
          MissingFileException.requireExists(
              override.isPresent() ? override.get() : dataDir(dc, name));
      if (override.isPresent()) {
        // The path decides: class folders of video files, of frame folders, else TFRecords.
        name =
            !Files.isDirectory(p)
                ? VideoTfRecordDataset.NAME
                : VideoFileDataset.isVideoFileFolder(p)
                    ? VideoFileDataset.NAME
                    : VideoFolderDataset.isVideoFolder(p)
                        ? VideoFolderDataset.NAME
                        : VideoTfRecordDataset.NAME;
      }
      ds =
          switch (name) {
            case VideoFileDataset.NAME -> new VideoFileDataset(p, sampling, eval);
            case VideoFolderDataset.NAME -> new VideoFolderDataset(p, sampling, eval);
            default -> new VideoTfRecordDataset(p, sampling, eval, in.numClasses());
          };
    } else if (override.isPresent()) {
      ds = openPath(override.get(), in, eval, cfg.train().dataset().randomFlip());
    } else {
      String name = dc.datasetName().orElse(ShapesDataset.NAME);
      ds =
          switch (name) {
            case ShapesDataset.NAME ->
                new ShapesDataset(
                    in.height(),
                    in.width(),
                    in.channels(),
                    in.numClasses(),
                    dc.numTrainExamples().orElse(ShapesDataset.NUM_TRAIN_DEFAULT),
                    dc.numEvalExamples().orElse(ShapesDataset.NUM_EVAL_DEFAULT),
                    norm);
            case ImageFolderDataset.NAME -> new ImageFolderDataset(dataDir(dc, name), eval);
            case TfRecordDataset.NAME ->
                new TfRecordDataset(dataDir(dc, name), eval, in.numClasses());
            case FashionMnistDataset.NAME ->
                new FashionMnistDataset(
                    dataDir(dc, name), norm, cfg.train().dataset().randomFlip());
            default ->
                throw new InvalidInputException(
                    "unknown dataset_name '" + name + "'; the trainer reads " + NAMES);
          };
    }
    try {
      check(ds, in);
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return dc.skipBadExamples() ? new SkippingDataset(ds) : ds;
  }

  private static void check(ImageDataset ds, InputSpec in) {
    if (ds.numClasses() != in.numClasses()) {
      throw new InvalidInputException(
          ds.describe()
              + " has "
              + ds.numClasses()
              + " classes but the config says num_classes="
              + in.numClasses());
    }
    long[] shape = Batch.shapeOf(1, ds.exampleShape());
    if (!java.util.Arrays.equals(shape, in.shape(1))) {
      throw new InvalidInputException(
          ds.describe()
              + " gives "
              + java.util.Arrays.toString(shape)
              + " examples but the model takes "
              + java.util.Arrays.toString(in.shape(1))
              + " (dataset_configs.image_size, num_frames; channels from dataset_name)");
    }
  }

  private static ImageDataset openPath(
      Path p, InputSpec in, EvalPreprocessing eval, boolean randomFlip) throws IOException {
    MissingFileException.requireExists(p);
    if (Files.isDirectory(p) && FashionMnistDataset.isFashionMnistFolder(p)) {
      return new FashionMnistDataset(p, eval.normalization(), randomFlip);
    }
    if (Files.isDirectory(p)) {
      boolean hasFolders;
      try (Stream<Path> s = Files.list(p)) {
        hasFolders = s.anyMatch(Files::isDirectory);
      }
      if (hasFolders) {
        return new ImageFolderDataset(p, eval);
      }
    }
    rejectNonTfRecords(p);
    return new TfRecordDataset(p, eval, in.numClasses());
  }

  /**
   * Fails, listing the layouts {@code --data} takes, when what would be read as TFRecords is
   * plainly something else (images, arrays, text): a TFRecord reader would only report checksums.
   */
  private static void rejectNonTfRecords(Path p) throws IOException {
    List<Path> files;
    if (Files.isDirectory(p)) {
      try (Stream<Path> s = Files.list(p)) {
        files =
            s.filter(Files::isRegularFile)
                .filter(f -> !f.getFileName().toString().startsWith("."))
                .toList();
      }
    } else {
      files = List.of(p);
    }
    List<Path> foreign = files.stream().filter(Datasets::isKnownNonTfRecord).toList();
    if (foreign.isEmpty()) {
      return;
    }
    String what =
        Files.isDirectory(p)
            ? p + " is a flat folder of " + kind(foreign.get(0))
            : p + " is " + kind(p) + ", not TFRecords";
    throw new InvalidInputException(what + "; --data takes " + DATA_LAYOUTS);
  }

  /** The layouts an image model's {@code --data} path can have, for messages. */
  static final String DATA_LAYOUTS =
      "a folder of class sub-folders of images (DATA/CLASS/*.jpg, optionally DATA/train/ and"
          + " DATA/val/), TFRecord file(s) of tf.Example, a .npz with arrays 'images' and"
          + " 'labels', or a Fashion-MNIST folder of IDX files";

  private static final Set<String> NON_TFRECORD_SUFFIXES =
      Set.of("npy", "csv", "txt", "json", "yaml", "yml", "zip", "tar", "gz", "mp4", "avi");

  private static boolean isKnownNonTfRecord(Path f) {
    String suffix = suffix(f);
    return ImageFolderDataset.EXTENSIONS.contains(suffix) || NON_TFRECORD_SUFFIXES.contains(suffix);
  }

  private static String kind(Path f) {
    String suffix = suffix(f);
    return ImageFolderDataset.EXTENSIONS.contains(suffix)
        ? "images (" + f.getFileName() + ")"
        : "a ." + suffix + " file (" + f.getFileName() + ")";
  }

  private static String suffix(Path f) {
    String n = f.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
  }

  private static Path dataDir(DatasetConfig dc, String name) {
    return Path.of(
        dc.dataDir()
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        "dataset_name '"
                            + name
                            + "' needs dataset_configs.data_dir (or a data path argument)")));
  }
}
