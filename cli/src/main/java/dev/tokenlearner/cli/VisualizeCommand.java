package dev.tokenlearner.cli;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.ImageInputs;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.export.serving.Predictions;
import dev.tokenlearner.export.serving.TokenLearnerPredictor;
import dev.tokenlearner.graph.maps.MapFigures;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Draws what a model's first TokenLearner attends to: the input beside each learned token's map as
 * a heat overlay, titled with the predicted label; a looping GIF over time for video models.
 */
@Command(
    name = "visualize",
    mixinStandardHelpOptions = true,
    description = {
      "Draw the first TokenLearner's attention maps (the token_maps signature) over the input.",
      "Image models: an image file gives one PNG (input + one panel per learned token, predicted"
          + " label on top); a folder of images gives one PNG per image in the --output folder.",
      "Video models: a folder of frame images is one clip, a folder of such folders one clip"
          + " each; each clip gives a looping GIF over its frames.",
      "A .npy batch (preprocessed, NHWC or NTHWC) gives one file per example."
    })
final class VisualizeCommand implements Callable<Integer> {

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "SavedModel directory, or a serving root (its newest version).")
  Path model;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "IMAGE|CLIP|DIR|NPY",
      description = "An image, a folder of images or clips, or a preprocessed .npy batch.")
  Path input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "FILE.png|FILE.gif|DIR",
      description =
          "The picture for one input (.png for images, .gif for clips), or a folder for several.")
  Path output;

  @Spec CommandSpec spec;

  /** One input to draw: its name and the preprocessed example {@code [1, ...]}. */
  private record Item(String name, Loader load) {}

  @FunctionalInterface
  private interface Loader {
    HostArray get() throws IOException;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (TokenLearnerPredictor p = TokenLearnerPredictor.load(model)) {
      if (!p.hasTokenMaps()) {
        throw new InvalidInputException(
            model
                + ": this model has no token_maps signature (no TokenLearner, or exported by"
                + " an older version; export it again)");
      }
      ModelMetadata meta =
          p.model()
              .metadata()
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          model + " has no stored config, so its inputs cannot be drawn"));
      boolean video = meta.input().isVideo();
      String ext = video ? ".gif" : ".png";
      List<Item> items = items(meta, video);
      boolean single = items.size() == 1 && !Files.isDirectory(output);
      if (single && !output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(ext)) {
        throw new InvalidInputException(
            "--output " + output + ": this " + (video ? "video" : "image") + " model draws " + ext);
      }
      try (ProgressBar bar = items.size() > 1 ? progress(items.size()) : null) {
        for (Item item : items) {
          Path file = single ? output : output.resolve(item.name() + ext);
          draw(p, meta, item.load().get(), item.name(), video, file);
          if (bar != null) {
            bar.step();
          }
        }
      }
      out.printf("wrote %s (%d %s)%n", output, items.size(), video ? "clips" : "images");
      out.flush();
    }
    return 0;
  }

  private static void draw(
      TokenLearnerPredictor p,
      ModelMetadata meta,
      HostArray example,
      String name,
      boolean video,
      Path file)
      throws IOException {
    HostArray maps = p.tokenMaps(example);
    Predictions.Scored best = p.predict(example).topK(0, 1).get(0);
    String title =
        String.format(Locale.ROOT, "%s: %s (%.3f)", name, best.label(), best.probability());
    var norm = meta.normalization();
    if (video) {
      MapFigures.writeGif(MapFigures.clip(example, maps, 0, norm, title), file);
    } else {
      MapFigures.writePng(MapFigures.image(example, maps, 0, norm, title), file);
    }
  }

  private List<Item> items(ModelMetadata meta, boolean video) throws IOException {
    String lower = input.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isRegularFile(input) && lower.endsWith(".npy")) {
      HostArray batch = Npy.read(input);
      long n = batch.shape()[0];
      String stem = lower.substring(0, lower.length() - 4);
      List<Item> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int at = i;
        out.add(new Item(n == 1 ? stem : stem + "_" + i, () -> example(batch, at)));
      }
      return out;
    }
    if (!video) {
      List<Path> files = Files.isDirectory(input) ? ImageInputs.list(input) : List.of(input);
      if (files.isEmpty()) {
        throw new InvalidInputException(
            input + ": no image files (" + ImageInputs.EXTENSIONS + ")");
      }
      return files.stream()
          .map(f -> new Item(stem(f), () -> ImageInputs.load(List.of(f), meta.preprocessing())))
          .toList();
    }
    if (!Files.isDirectory(input)) {
      throw new InvalidInputException(
          input
              + ": a video model takes a folder of frame images (one clip), a folder of such"
              + " folders, or a .npy [n, T, H, W, C]");
    }
    if (!ImageInputs.list(input).isEmpty()) {
      return List.of(new Item(input.getFileName().toString(), () -> clip(meta, input)));
    }
    List<Path> clips;
    try (Stream<Path> s = Files.list(input)) {
      clips = s.filter(Files::isDirectory).sorted().toList();
    }
    if (clips.isEmpty()) {
      throw new InvalidInputException(input + ": no frame images and no clip folders");
    }
    return clips.stream()
        .map(c -> new Item(c.getFileName().toString(), () -> clip(meta, c)))
        .toList();
  }

  /** A clip from a folder of frames: the model's T frames spread evenly over them. */
  private static HostArray clip(ModelMetadata meta, Path dir) throws IOException {
    InputSpec spec = meta.input();
    List<Path> frames = ImageInputs.list(dir);
    int t = spec.numFrames();
    if (frames.size() < t) {
      throw new InvalidInputException(
          dir + ": " + frames.size() + " frame images, the model takes clips of " + t);
    }
    List<Path> picked = new ArrayList<>(t);
    for (int i = 0; i < t; i++) {
      picked.add(frames.get((int) ((long) i * frames.size() / t)));
    }
    HostArray f = ImageInputs.load(picked, meta.preprocessing());
    long[] s = f.shape();
    return new HostArray(new long[] {1, s[0], s[1], s[2], s[3]}, f.data());
  }

  private static HostArray example(HostArray batch, int i) {
    long[] shape = batch.shape().clone();
    int per = (int) (batch.data().length / shape[0]);
    shape[0] = 1;
    return new HostArray(shape, Arrays.copyOfRange(batch.data(), i * per, (i + 1) * per));
  }

  private static String stem(Path f) {
    String n = f.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }

  private static ProgressBar progress(int n) {
    return new ProgressBarBuilder()
        .setTaskName("visualize")
        .setInitialMax(n)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(500)
        .setMaxRenderedLength(100)
        .build();
  }
}
