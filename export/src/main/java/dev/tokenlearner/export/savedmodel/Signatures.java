package dev.tokenlearner.export.savedmodel;

import java.util.List;

/** Names of an exported model's signatures, tensors, tag and metadata file; spelled here only. */
public final class Signatures {

  /** The SavedModel tag of the inference graph. */
  public static final String TAG = "serve";

  /** Method name TF Serving needs on every signature. */
  public static final String METHOD_NAME = "tensorflow/serving/predict";

  /** The input placeholder and every signature's input key. */
  public static final String INPUT = "images";

  /** Signature key of the classifier: {@code images -> logits [b, num_classes]}. */
  public static final String SERVING_DEFAULT = "serving_default";

  /** Output of {@link #SERVING_DEFAULT}. */
  public static final String LOGITS = "logits";

  /** Signature key and output of the pooled features {@code [b, R]} fed to the head. */
  public static final String REPRESENTATION = "representation";

  /**
   * Signature key and output of the encoder output after {@code encoder_norm}, {@code [b, n, D]}.
   */
  public static final String ENCODED = "encoded";

  /** Signature key and output of the first TokenLearner's tokens {@code [b, t*K, D]}. */
  public static final String LEARNED_TOKENS = "learned_tokens";

  /**
   * Signature key and output of the first TokenLearner's attention maps on the patch grid: images
   * {@code [b, K, h, w]}, video {@code [b, T', K, h, w]} (v1.1 softmax over space, v1 sigmoid).
   */
  public static final String TOKEN_MAPS = "token_maps";

  /**
   * Signature key of the classifier on encoded images: {@code image_bytes -> logits,
   * probabilities}, with the evaluation preprocessing inside the graph.
   */
  public static final String SERVING_BYTES = "serving_bytes";

  /**
   * Input of {@link #SERVING_BYTES}: JPEG/PNG/GIF/BMP bytes, {@code [b]} for images or {@code [b,
   * T]} (frames in time order) for video.
   */
  public static final String IMAGE_BYTES = "image_bytes";

  /**
   * Output of {@link #SERVING_BYTES}: softmax of the logits, or the sigmoid for the multilabel
   * model, {@code [b, num_classes]}.
   */
  public static final String PROBABILITIES = "probabilities";

  /** Folder of an exported model that TensorFlow ignores when loading. */
  public static final String ASSETS_EXTRA = "assets.extra";

  /** File name of the stored config inside {@link #ASSETS_EXTRA}. */
  public static final String CONFIG_FILE = "tokenlearner_config.yaml";

  /** File name of the class names inside {@link #ASSETS_EXTRA}, one per line in class order. */
  public static final String LABELS_FILE = "labels.txt";

  private Signatures() {}

  /**
   * The output key of a signature.
   *
   * @param signature a signature key
   * @return {@code logits} for {@code serving_default}, else the key itself
   */
  public static String outputOf(String signature) {
    return SERVING_DEFAULT.equals(signature) ? LOGITS : signature;
  }

  /**
   * The signature keys a model exports.
   *
   * @param hasTokenLearner whether the model has a TokenLearner
   * @return the keys, {@code serving_default} first and {@code serving_bytes} last
   */
  public static List<String> keys(boolean hasTokenLearner) {
    return hasTokenLearner
        ? List.of(
            SERVING_DEFAULT, REPRESENTATION, ENCODED, LEARNED_TOKENS, TOKEN_MAPS, SERVING_BYTES)
        : List.of(SERVING_DEFAULT, REPRESENTATION, ENCODED, SERVING_BYTES);
  }
}
