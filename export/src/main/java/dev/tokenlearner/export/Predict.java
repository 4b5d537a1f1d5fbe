package dev.tokenlearner.export;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import dev.tokenlearner.graph.config.InputSpec;
import dev.tokenlearner.ops.HostArray;
import dev.tokenlearner.ops.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The prediction pipeline behind {@code tokenlearner predict}: runs one signature of an exported
 * model on a batch and writes the output as {@code .npy}.
 *
 * <p>Inputs: a {@code .npy} float32 array already shaped like the signature's input ({@code [n,
 * H, W, C]} or {@code [n, T, H, W, C]}, preprocessed), or image files (one file, or every image in
 * a directory, sorted by name), which are preprocessed as the model's stored metadata says ({@link
 * ModelMetadata#preprocessing()}: resize the shorter side, centre crop, normalise; image models
 * only).
 */
public final class Predict {

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
    try (ServingModel m = ServingModel.load(model)) {
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

  private static HostArray readInput(ServingModel m, Path input) throws IOException {
    if (Files.isRegularFile(input) && input.toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
      return Npy.read(input);
    }
    List<Path> files;
    if (Files.isDirectory(input)) {
      files = ImageInputs.list(input);
      if (files.isEmpty()) {
        throw new InvalidInputException(
            input + ": no image files (" + ImageInputs.EXTENSIONS + ") in this directory");
      }
    } else if (Files.isRegularFile(input) && ImageInputs.isImage(input)) {
      files = List.of(input);
    } else {
      throw new InvalidInputException(
          input + ": expected a .npy file, an image file or a directory of images");
    }
    ModelMetadata meta =
        m.metadata()
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        m.directory() + " has no stored config, so images cannot be"
                            + " preprocessed for it; pass a preprocessed .npy instead"));
    InputSpec spec = meta.input();
    if (spec.isVideo() || (spec.channels() != 3 && spec.channels() != 1)) {
      throw new InvalidInputException(
          "image files feed RGB or grey image models only; this model takes "
              + java.util.Arrays.toString(spec.shape(-1)) + "; pass a .npy instead");
    }
    return ImageInputs.load(files, meta.preprocessing());
  }
}
