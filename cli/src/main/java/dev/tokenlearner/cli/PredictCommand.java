package dev.tokenlearner.cli;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.core.MissingFileException;
import dev.tokenlearner.export.ImageInputs;
import dev.tokenlearner.export.Predict;
import dev.tokenlearner.export.Predict.Classification;
import dev.tokenlearner.export.PredictionFiles;
import dev.tokenlearner.export.savedmodel.Signatures;
import dev.tokenlearner.export.serving.Predictions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs a SavedModel on a .npy batch or on image files; prints or writes the top-k classes. */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description = {
      "Run an exported SavedModel on a .npy batch (float32, C order), an image file or a folder of"
          + " images.",
      "Images go through the model's serving_bytes signature, i.e. the evaluation preprocessing"
          + " inside the graph.",
      "Prints the top-k classes with labels and probabilities (softmax; sigmoid for the multilabel"
          + " model); --output writes them as .csv or .json, or the logits as .npy; --quiet"
          + " prints no top-k lines."
    })
final class PredictCommand implements Callable<Integer> {

  /** Images folders with more files than this get a progress bar. */
  static final int PROGRESS_MIN = 64;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "SavedModel directory, or a serving root (its newest version).")
  Path model;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE|DIR",
      description =
          "A .npy batch (NHWC, or NTHWC for video), an image file, or a directory of images.")
  Path input;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description =
          ".csv or .json: the top-k classes per input; .npy: the signature's output (logits for"
              + " serving_default).")
  Path output;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      defaultValue = "5",
      description = "Classes per input to print and write. Default: ${DEFAULT-VALUE}.")
  int topK;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "32",
      description =
          "Images read and run at a time; any folder size works. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(
      names = "--signature",
      defaultValue = "serving_default",
      description =
          "Signature to run: serving_default (classes), or representation, encoded, learned_tokens, token_maps"
              + " (written as .npy). Default: ${DEFAULT-VALUE}.")
  String signature;

  @Option(
      names = "--xla",
      negatable = true,
      description =
          "Compile the forward pass with XLA (about 3 s for Ti/16 on two cores, then faster"
              + " batches); --no-xla runs the plain graph. Default: XLA from 2048 inputs on.")
  Boolean xla;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (topK <= 0) {
      throw new InvalidInputException("--top-k must be positive, got " + topK);
    }
    MissingFileException.requireExists(model);
    checkInput();
    boolean classes = Signatures.SERVING_DEFAULT.equals(signature);
    if (output != null) {
      checkOutput(classes ? List.of(".csv", ".json", ".npy") : List.of(".npy"));
    }
    if (!classes) {
      if (output == null) {
        throw new InvalidInputException("--signature " + signature + " needs --output FILE.npy");
      }
      HostArray result = Predict.run(model, input, output, signature);
      out.printf("wrote %s %s%n", output, result.shapeString());
      out.flush();
      return 0;
    }
    Classification c;
    try (Progress progress = new Progress(input, Verbosity.of(spec) != Verbosity.QUIET)) {
      c = Predict.classify(model, input, batchSize, Optional.ofNullable(xla), progress);
    }
    boolean quiet = Verbosity.of(spec) == Verbosity.QUIET;
    if (!quiet) {
      Predictions p = c.predictions();
      for (int i = 0; i < p.size(); i++) {
        StringBuilder line = new StringBuilder(c.names().get(i));
        for (Predictions.Scored s : p.topK(i, topK)) {
          line.append(String.format(Locale.ROOT, "  %s %.4f", s.label(), s.probability()));
        }
        out.println(line);
      }
    }
    if (output != null) {
      PredictionFiles.write(output, c, topK);
      out.printf("wrote %s (%d inputs)%n", output, c.names().size());
    }
    out.flush();
    return 0;
  }

  /** Fails before the model is loaded when --input is missing or of a kind predict cannot read. */
  private void checkInput() {
    MissingFileException.requireExists(input);
    if (Files.isRegularFile(input)
        && !input.toString().toLowerCase(Locale.ROOT).endsWith(".npy")
        && !ImageInputs.isImage(input)) {
      throw new InvalidInputException(
          input
              + ": --input takes a .npy batch, an image file ("
              + ImageInputs.EXTENSIONS
              + ") or a folder of images");
    }
  }

  /** Fails before any inference when --output could not be written as asked. */
  private void checkOutput(List<String> suffixes) {
    String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
    if (suffixes.stream().noneMatch(name::endsWith)) {
      throw new InvalidInputException(
          output
              + ": --output must end in "
              + String.join(", ", suffixes)
              + (suffixes.size() > 1 ? " (.npy: logits; .csv, .json: top-k classes)" : ""));
    }
    if (Files.isDirectory(output)) {
      throw new InvalidInputException(output + " is a folder; --output takes a file name");
    }
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
      throw new InvalidInputException(
          parent + " is a file, so --output " + output + " cannot be written");
    }
  }

  /** A progress bar on stderr for large image folders; silent otherwise. */
  private static final class Progress implements LongConsumer, AutoCloseable {
    private final ProgressBar bar;

    Progress(Path input, boolean show) throws java.io.IOException {
      long n = show && Files.isDirectory(input) ? ImageInputs.list(input).size() : 0;
      bar =
          n > PROGRESS_MIN
              ? new ProgressBarBuilder()
                  .setTaskName("predict")
                  .setInitialMax(n)
                  .setStyle(ProgressBarStyle.ASCII)
                  .setUpdateIntervalMillis(500)
                  .setMaxRenderedLength(100)
                  .build()
              : null;
    }

    @Override
    public void accept(long done) {
      if (bar != null) {
        bar.stepTo(done);
      }
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
