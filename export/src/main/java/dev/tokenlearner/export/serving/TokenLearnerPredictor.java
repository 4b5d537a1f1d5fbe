package dev.tokenlearner.export.serving;

import dev.tokenlearner.config.ModelName;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.ImageInputs;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.export.savedmodel.Signatures;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.graph.preprocess.EvalPreprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Classifies images with an exported TokenLearner model from Java: one loaded SavedModel and one
 * TensorFlow session, shared by every thread that calls it.
 *
 * <pre>{@code
 * try (TokenLearnerPredictor p = TokenLearnerPredictor.load(Path.of("models/tokenlearner"))) {
 *   Predictions.Scored best = p.predict(Path.of("cat.jpg")).best(); // label and probability
 *   HostArray features = p.embed(Path.of("cat.jpg")); // [1, R]: what the head sees
 * }
 * }</pre>
 *
 * <p>{@link #predict(Path)}, {@link #predict(byte[])}, {@link #predict(BufferedImage)} and {@link
 * #predictEncoded} run the {@code serving_bytes} signature, so decoding, resizing, cropping and
 * normalisation happen inside the graph exactly as in evaluation; {@link #predict(HostArray)} takes
 * inputs already preprocessed. {@link #embed(HostArray)} returns the {@code representation}
 * signature's pooled features (after {@code pre_logits}, before the head). Batches of any size are
 * split into session runs of at most the chunk size. All methods may be called from several threads
 * at once; {@link #close} must come after the last call returns.
 */
public final class TokenLearnerPredictor implements AutoCloseable {

  private final ServingModel model;
  private final List<String> labels;
  private final boolean multilabel;
  // Java-side evaluation preprocessing for embed on encoded images; built on first use.
  private EvalPreprocessor preprocessor;

  private TokenLearnerPredictor(ServingModel model) {
    this.model = model;
    this.labels = model.metadata().map(ModelMetadata::labels).orElse(List.of());
    this.multilabel =
        model
            .metadata()
            .map(m -> ModelName.fromScenicName(m.modelName()).multilabel())
            .orElse(false);
  }

  /**
   * Loads a model, its forward pass compiled by XLA ({@link #load(Path, int, boolean)}).
   *
   * @param dir a SavedModel directory, or a serving root (its newest version is loaded)
   * @return the predictor; close it
   * @throws IOException if no SavedModel is found there
   */
  public static TokenLearnerPredictor load(Path dir) throws IOException {
    return load(dir, ServingModel.CHUNK_SIZE_DEFAULT);
  }

  /**
   * Loads a model with a chosen number of examples per session run, its forward pass compiled by
   * XLA.
   *
   * @param dir a SavedModel directory, or a serving root
   * @param chunkSize the most examples per session run
   * @return the predictor; close it
   * @throws IOException if no SavedModel is found there
   */
  public static TokenLearnerPredictor load(Path dir, int chunkSize) throws IOException {
    return load(dir, chunkSize, true);
  }

  /**
   * Loads a model, choosing whether its forward pass runs XLA-compiled.
   *
   * <p>With {@code xla} every signature is one XLA computation (as {@code
   * tf.function(jit_compile=True)}); TensorFlow compiles it on the first call of each batch shape
   * (about 3 s for Ti/16 on two cores), so the first prediction is slow and later ones faster.
   * Batches are padded to a few shapes ({@link ServingModel#load(Path, int, boolean)}). Pass {@code
   * false} for a few one-off predictions, where the compilation costs more than it saves.
   *
   * @param dir a SavedModel directory, or a serving root
   * @param chunkSize the most examples per session run
   * @param xla whether to compile the forward pass with XLA
   * @return the predictor; close it
   * @throws IOException if no SavedModel is found there
   */
  public static TokenLearnerPredictor load(Path dir, int chunkSize, boolean xla)
      throws IOException {
    return new TokenLearnerPredictor(
        ServingModel.load(ServingRoot.resolveModel(dir), chunkSize, xla));
  }

  /**
   * Classifies preprocessed inputs (a batch).
   *
   * @param images {@code [n, H, W, C]} (or {@code [n, T, H, W, C]} for video), normalised as the
   *     model's metadata says
   * @return logits, probabilities and labels
   * @throws IllegalArgumentException if the shape does not fit the model
   */
  public Predictions predict(HostArray images) {
    return Predictions.fromLogits(
        model.run(Signatures.SERVING_DEFAULT, images), multilabel, labels);
  }

  /**
   * Whether the model exports the first TokenLearner's attention maps ({@code token_maps}); models
   * without a TokenLearner, and models exported by an older version, do not.
   *
   * @return true if {@link #tokenMaps} can run
   */
  public boolean hasTokenMaps() {
    return model.signatures().contains(Signatures.TOKEN_MAPS);
  }

  /**
   * The attention maps of the first TokenLearner on preprocessed inputs: the weights it pools the
   * patch tokens with (v1.1 softmax over space, v1 sigmoid).
   *
   * @param images {@code [n, H, W, C]} (or {@code [n, T, H, W, C]} for video), normalised as the
   *     model's metadata says
   * @return {@code [n, K, h, w]} on the patch grid, or {@code [n, T', K, h, w]} for video
   * @throws InvalidInputException if the model has no {@code token_maps} signature
   * @throws IllegalArgumentException if the shape does not fit the model
   */
  public HostArray tokenMaps(HostArray images) {
    if (!hasTokenMaps()) {
      throw new InvalidInputException(
          "model "
              + model.directory()
              + " has no "
              + Signatures.TOKEN_MAPS
              + " signature (no TokenLearner, or exported by an older version); it has "
              + model.signatures());
    }
    return model.run(Signatures.TOKEN_MAPS, images);
  }

  /**
   * Classifies encoded images (JPEG, PNG, GIF, BMP) with the preprocessing inside the model.
   *
   * @param images one encoded image per example; for video models {@code T} frames per example,
   *     example after example
   * @return logits, probabilities and labels
   * @throws IllegalArgumentException if the model has no {@code serving_bytes} signature (exported
   *     by an older version) or an image cannot be decoded
   */
  public Predictions predictEncoded(List<byte[]> images) {
    HostArray logits;
    try {
      logits = model.runEncoded(Signatures.SERVING_BYTES, images).get(Signatures.LOGITS);
    } catch (org.tensorflow.exceptions.TFInvalidArgumentException e) {
      throw new InvalidInputException("cannot decode an image: " + e.getMessage(), e);
    }
    return Predictions.fromLogits(logits, multilabel, labels);
  }

  /**
   * Classifies one image file.
   *
   * @param image a JPEG, PNG, GIF or BMP file
   * @return predictions for one example; {@link Predictions#best()} is the top class
   * @throws java.nio.file.NoSuchFileException if the file does not exist
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException if it is not a decodable image
   */
  public Predictions predict(Path image) throws IOException {
    return predictEncoded(List.of(ImageInputs.read(image)));
  }

  /**
   * Classifies one encoded image.
   *
   * @param image the bytes of a JPEG, PNG, GIF or BMP file
   * @return predictions for one example
   * @throws IllegalArgumentException if the bytes are not a decodable image
   */
  public Predictions predict(byte[] image) {
    return predictEncoded(List.of(image));
  }

  /**
   * Classifies one decoded image: it is encoded as PNG (lossless) and preprocessed in the graph as
   * a file would be, so the result equals {@link #predict(Path)} on a PNG of the same pixels.
   *
   * @param image the image; alpha is dropped, grey is repeated as RGB
   * @return predictions for one example
   */
  public Predictions predict(BufferedImage image) {
    return predict(png(image));
  }

  /**
   * Returns the pooled features the classifier head sees ({@code representation} signature).
   *
   * @param images preprocessed {@code [n, H, W, C]} (or {@code [n, T, H, W, C]})
   * @return {@code [n, R]}: {@code R} is {@code representation_size}, or the hidden size when the
   *     model has no {@code pre_logits}
   * @throws IllegalArgumentException if the shape does not fit the model
   */
  public HostArray embed(HostArray images) {
    return model.run(Signatures.REPRESENTATION, images);
  }

  /**
   * Returns the pooled features of one image file, preprocessed as evaluation does.
   *
   * @param image a JPEG, PNG, GIF or BMP file
   * @return {@code [1, R]}
   * @throws IOException if the file cannot be read or decoded
   * @throws IllegalArgumentException if the model records no preprocessing or is a video model
   */
  public HostArray embed(Path image) throws IOException {
    return embed(ImageInputs.read(image), image.toString());
  }

  /**
   * Returns the pooled features of one encoded image, preprocessed as evaluation does.
   *
   * @param image the bytes of a JPEG, PNG, GIF or BMP file
   * @return {@code [1, R]}
   * @throws IOException if the bytes cannot be decoded
   * @throws IllegalArgumentException if the model records no preprocessing or is a video model
   */
  public HostArray embed(byte[] image) throws IOException {
    return embed(image, "image");
  }

  /**
   * Returns the pooled features of one decoded image (encoded as PNG, then as {@link
   * #embed(byte[])}).
   *
   * @param image the image
   * @return {@code [1, R]}
   * @throws IOException if the image cannot be encoded
   */
  public HostArray embed(BufferedImage image) throws IOException {
    return embed(png(image), "image");
  }

  private HostArray embed(byte[] bytes, String what) throws IOException {
    EvalPreprocessor p = preprocessor();
    float[] pixels = p.run(bytes, what);
    EvalPreprocessing spec = p.spec();
    return embed(
        new HostArray(new long[] {1, spec.height(), spec.width(), spec.channels()}, pixels));
  }

  private synchronized EvalPreprocessor preprocessor() {
    if (preprocessor == null) {
      ModelMetadata meta =
          model
              .metadata()
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          model.directory()
                              + " records no preprocessing; call embed(HostArray) with"
                              + " preprocessed inputs"));
      if (meta.input().isVideo()) {
        throw new InvalidInputException(
            model.directory() + " is a video model; call embed(HostArray) with [n, T, H, W, C]");
      }
      preprocessor = new EvalPreprocessor(meta.preprocessing());
    }
    return preprocessor;
  }

  private static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new InvalidInputException("no PNG writer for image type " + image.getType());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Reads and classifies image files.
   *
   * @param files image files
   * @return predictions in file order
   * @throws IOException if a file cannot be read
   */
  public Predictions predictFiles(List<Path> files) throws IOException {
    List<byte[]> bytes = new ArrayList<>(files.size());
    for (Path f : files) {
      bytes.add(Files.readAllBytes(f));
    }
    return predictEncoded(bytes);
  }

  /**
   * Turns this model's logits into predictions (softmax, or sigmoid for the multilabel model).
   *
   * @param logits {@code [n, num_classes]}
   * @return the predictions with this model's labels
   */
  public Predictions scores(HostArray logits) {
    return Predictions.fromLogits(logits, multilabel, labels);
  }

  /**
   * Returns the class names.
   *
   * @return labels in class order, empty when the model records none
   */
  public List<String> labels() {
    return labels;
  }

  /**
   * Returns the underlying model (signatures, metadata, directory).
   *
   * @return the model
   */
  public ServingModel model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
    synchronized (this) {
      if (preprocessor != null) {
        preprocessor.close();
      }
    }
  }
}
