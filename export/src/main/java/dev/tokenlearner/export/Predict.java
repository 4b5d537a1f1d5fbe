package dev.tokenlearner.export;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.export.savedmodel.Signatures;
import dev.tokenlearner.export.serving.Predictions;
import dev.tokenlearner.export.serving.TokenLearnerPredictor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prediction pipeline behind {@code tokenlearner predict}: runs one signature of an exported
 * model on a batch and writes the output as {@code .npy}.
 *
 * <p>Inputs: a {@code .npy} float32 array already shaped like the signature's input ({@code [n, H,
 * W, C]} or {@code [n, T, H, W, C]}, preprocessed), or image files (one file, or every image in a
 * directory, sorted by name), which are preprocessed as the model's stored metadata says ({@link
 * ModelMetadata#preprocessing()}: resize the shorter side, centre crop, normalise; image models
 * only).
 */
public final class Predict {

  /**
   * Inputs from which {@link #classify} compiles by default: XLA's compilation (about 3 s per batch
   * shape for Ti/16 on two cores, up to 6 shapes when batches are padded) against a gain of 25–40 %
   * of a forward pass, about 14 ms per Ti/16 input (docs/performance.md).
   */
  public static final int XLA_MIN_EXAMPLES = 2048;

  private static final Logger LOG = LoggerFactory.getLogger(Predict.class);

  private Predict() {}

  /**
   * Runs a model on an input and writes the output.
   *
   * @param model the SavedModel directory
   * @param input a {@code .npy} file, an image file or a directory of images
   * @param output the {@code .npy} file to write
   * @param signature the signature key; null means {@code serving_default}
   * @return the output that was written
   * @throws IOException if reading or writing fails
   * @throws IllegalArgumentException if the input does not fit the model or the signature is
   *     unknown
   */
  public static HostArray run(Path model, Path input, Path output, String signature)
      throws IOException {
    String key = signature == null ? Signatures.SERVING_DEFAULT : signature;
    try (ServingModel m = ServingModel.load(ServingRoot.resolveModel(model))) {
      HostArray batch = readInput(m, input);
      HostArray out = m.run(key, batch);
      Path parent = output.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Npy.write(output, out);
      return out;
    }
  }

  /**
   * What {@link #classify} returns: a name per example and its predictions.
   *
   * @param names the image file names, or the example index for a {@code .npy} batch
   * @param predictions logits, probabilities and labels
   */
  public record Classification(List<String> names, Predictions predictions) {

    /** Copies the names. */
    public Classification {
      names = List.copyOf(names);
      if (names.size() != predictions.size()) {
        throw new IllegalArgumentException(
            names.size() + " names for " + predictions.size() + " predictions");
      }
    }
  }

  /**
   * Classifies a {@code .npy} batch, an image file or a folder of images, reading images {@code
   * batchSize} at a time so folders of any size fit in memory. Images go through the model's {@code
   * serving_bytes} signature (the evaluation preprocessing inside the graph); models exported
   * without it get {@link ImageInputs}' resize instead.
   *
   * @param model a SavedModel directory or a serving root
   * @param input a {@code .npy} file, an image file or a directory of images
   * @param batchSize images per session run
   * @param progress told the number of examples done after every batch
   * @return names and predictions, in input order
   * @throws IOException if reading fails
   * @throws IllegalArgumentException if the input does not fit the model
   */
  public static Classification classify(
      Path model, Path input, int batchSize, LongConsumer progress) throws IOException {
    return classify(model, input, batchSize, Optional.empty(), progress);
  }

  /**
   * Like {@link #classify(Path, Path, int, LongConsumer)}, choosing XLA: {@code xla} empty compiles
   * the forward pass when there are at least {@link #XLA_MIN_EXAMPLES} inputs, where the
   * compilation (about 3 s for Ti/16 on two cores, once per batch shape) pays for itself. Logs the
   * choice and its reason in one line.
   *
   * @param model a SavedModel directory or a serving root
   * @param input a {@code .npy} file, an image file or a directory of images
   * @param batchSize images per session run
   * @param xla {@code --xla} / {@code --no-xla}, or empty to choose by the number of inputs
   * @param progress told the number of examples done after every batch
   * @return names and predictions, in input order
   * @throws IOException if reading fails
   * @throws IllegalArgumentException if the input does not fit the model
   */
  public static Classification classify(
      Path model, Path input, int batchSize, Optional<Boolean> xla, LongConsumer progress)
      throws IOException {
    if (batchSize <= 0) {
      throw new InvalidInputException("batch size must be positive, got " + batchSize);
    }
    HostArray npy = isNpy(input) ? Npy.read(input) : null;
    List<Path> inputFiles = npy == null ? imageFiles(input) : List.of();
    long count = npy != null ? npy.shape()[0] : inputFiles.size();
    boolean compile = xla.orElse(count >= XLA_MIN_EXAMPLES);
    LOG.info(xlaChoice(xla, compile, count));
    try (TokenLearnerPredictor p = TokenLearnerPredictor.load(model, batchSize, compile)) {
      if (npy != null) {
        Predictions out = p.predict(npy);
        progress.accept(out.size());
        return new Classification(
            IntStream.range(0, out.size()).mapToObj(Integer::toString).toList(), out);
      }
      List<Path> files = inputFiles;
      if (p.model().metadata().map(meta -> meta.input().isVideo()).orElse(false)) {
        throw new InvalidInputException(
            input
                + ": image files are classified one per example, but this is a video model;"
                + " pass a .npy [n, T, H, W, C], or send frames through serving_bytes");
      }
      boolean inGraph = p.model().signatures().contains(Signatures.SERVING_BYTES);
      List<HostArray> logits = new ArrayList<>();
      for (int from = 0; from < files.size(); from += batchSize) {
        List<Path> chunk = files.subList(from, Math.min(files.size(), from + batchSize));
        Predictions part =
            inGraph ? predictFiles(p, chunk) : p.predict(preprocessInJava(p.model(), chunk));
        logits.add(part.logits());
        progress.accept(from + chunk.size());
      }
      List<String> names = files.stream().map(f -> f.getFileName().toString()).toList();
      return new Classification(names, p.scores(concat(logits)));
    }
  }

  /** The one log line saying whether the forward pass is compiled, and why. */
  static String xlaChoice(Optional<Boolean> xla, boolean compile, long count) {
    if (xla.isPresent()) {
      return compile
          ? "forward pass: XLA-compiled (--xla; each new batch shape compiles first)"
          : "forward pass: plain TensorFlow graph (--no-xla)";
    }
    return compile
        ? "forward pass: XLA-compiled ("
            + count
            + " inputs >= "
            + XLA_MIN_EXAMPLES
            + ": faster after a one-off compilation; --no-xla runs the plain graph)"
        : "forward pass: plain TensorFlow graph ("
            + count
            + " inputs < "
            + XLA_MIN_EXAMPLES
            + ": XLA's one-off compilation would cost more than it saves; --xla compiles anyway)";
  }

  /** Runs serving_bytes on files; when one fails to decode, names it. */
  private static Predictions predictFiles(TokenLearnerPredictor p, List<Path> files)
      throws IOException {
    List<byte[]> bytes = new ArrayList<>(files.size());
    for (Path f : files) {
      bytes.add(ImageInputs.read(f));
    }
    try {
      return p.predictEncoded(bytes);
    } catch (InvalidInputException e) {
      for (int i = 0; i < files.size(); i++) {
        try {
          p.predictEncoded(List.of(bytes.get(i)));
        } catch (InvalidInputException one) {
          throw new ImageFormatException(
              files.get(i).toString(),
              "not an image TensorFlow can decode (JPEG, PNG, GIF, BMP)",
              one);
        }
      }
      throw e;
    }
  }

  private static HostArray concat(List<HostArray> parts) {
    long rows = 0;
    int total = 0;
    for (HostArray a : parts) {
      rows += a.shape()[0];
      total += a.data().length;
    }
    float[] data = new float[total];
    int at = 0;
    for (HostArray a : parts) {
      System.arraycopy(a.data(), 0, data, at, a.data().length);
      at += a.data().length;
    }
    long[] shape = parts.get(0).shape().clone();
    shape[0] = rows;
    return new HostArray(shape, data);
  }

  private static boolean isNpy(Path input) {
    return Files.isRegularFile(input) && input.toString().toLowerCase(Locale.ROOT).endsWith(".npy");
  }

  private static List<Path> imageFiles(Path input) throws IOException {
    if (Files.isDirectory(input)) {
      List<Path> files = ImageInputs.list(input);
      if (files.isEmpty()) {
        throw new InvalidInputException(
            input + ": no image files (" + ImageInputs.EXTENSIONS + ") in this directory");
      }
      return files;
    }
    if (Files.isRegularFile(input) && ImageInputs.isImage(input)) {
      return List.of(input);
    }
    throw new InvalidInputException(
        input + ": expected a .npy file, an image file or a directory of images");
  }

  private static HostArray readInput(ServingModel m, Path input) throws IOException {
    if (isNpy(input)) {
      return Npy.read(input);
    }
    return preprocessInJava(m, imageFiles(input));
  }

  private static HostArray preprocessInJava(ServingModel m, List<Path> files) throws IOException {
    ModelMetadata meta =
        m.metadata()
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        m.directory()
                            + " has no stored config, so images cannot be"
                            + " preprocessed for it; pass a preprocessed .npy instead"));
    InputSpec spec = meta.input();
    if (spec.isVideo() || (spec.channels() != 3 && spec.channels() != 1)) {
      throw new InvalidInputException(
          "image files feed RGB or grey image models only; this model takes "
              + java.util.Arrays.toString(spec.shape(-1))
              + "; pass a .npy instead");
    }
    return ImageInputs.load(files, meta.preprocessing());
  }
}
