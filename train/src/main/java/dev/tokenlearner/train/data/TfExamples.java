package dev.tokenlearner.train.data;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.Int64List;

/**
 * The two {@code tf.train.Example} features an image-classification TFRecord carries, read and
 * written with the proto classes that ship in {@code tensorflow-core-native}. Two layouts are read:
 * the classic ImageNet converters' {@code image/encoded} + {@code image/class/label}, and TFDS's
 * {@code image} + {@code label} (as TFDS writes {@code imagenet2012}).
 */
public final class TfExamples {

  /** Feature holding the encoded image (JPEG or PNG bytes). */
  public static final String IMAGE_ENCODED = "image/encoded";

  /** Feature holding the integer class label. */
  public static final String CLASS_LABEL = "image/class/label";

  /** TFDS's feature holding the encoded image. */
  public static final String TFDS_IMAGE = "image";

  /** TFDS's feature holding the integer label. */
  public static final String TFDS_LABEL = "label";

  private TfExamples() {}

  /**
   * An image and its label as they come out of a record.
   *
   * @param encoded the encoded image bytes
   * @param label the class label
   */
  public record LabelledImage(byte[] encoded, long label) {}

  /**
   * Serialises an example with {@link #IMAGE_ENCODED} and {@link #CLASS_LABEL}.
   *
   * @param encoded the encoded image
   * @param label the class label
   * @return the serialised {@code tf.train.Example}
   */
  public static byte[] imageExample(byte[] encoded, long label) {
    Features f =
        Features.newBuilder()
            .putFeature(
                IMAGE_ENCODED,
                Feature.newBuilder()
                    .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFrom(encoded)))
                    .build())
            .putFeature(
                CLASS_LABEL,
                Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(label)).build())
            .build();
    return Example.newBuilder().setFeatures(f).build().toByteArray();
  }

  /**
   * Serialises an example with TFDS's {@link #TFDS_IMAGE} and {@link #TFDS_LABEL}.
   *
   * @param encoded the encoded image
   * @param label the class label
   * @return the serialised {@code tf.train.Example}
   */
  public static byte[] tfdsImageExample(byte[] encoded, long label) {
    Features f =
        Features.newBuilder()
            .putFeature(
                TFDS_IMAGE,
                Feature.newBuilder()
                    .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFrom(encoded)))
                    .build())
            .putFeature(
                TFDS_LABEL,
                Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(label)).build())
            .build();
    return Example.newBuilder().setFeatures(f).build().toByteArray();
  }

  /**
   * Parses a record as a {@code tf.train.Example} and takes its image and label ({@code
   * image/encoded} + {@code image/class/label}, or TFDS's {@code image} + {@code label}).
   *
   * @param record the record's bytes
   * @param file the file, for messages
   * @param offset the record's byte offset, for messages
   * @return the image bytes and label
   * @throws TfRecordFormatException if the record is not an Example or lacks either feature
   */
  public static LabelledImage parse(byte[] record, Path file, long offset)
      throws TfRecordFormatException {
    Example ex;
    try {
      ex = Example.parseFrom(record);
    } catch (InvalidProtocolBufferException e) {
      throw new TfRecordFormatException(
          file, offset, "record is not a tf.train.Example: " + e.getMessage(), e);
    }
    var features = ex.getFeatures().getFeatureMap();
    boolean tfds = !features.containsKey(IMAGE_ENCODED) && features.containsKey(TFDS_IMAGE);
    String imageKey = tfds ? TFDS_IMAGE : IMAGE_ENCODED;
    String labelKey = tfds ? TFDS_LABEL : CLASS_LABEL;
    Feature img = features.get(imageKey);
    if (img == null || img.getBytesList().getValueCount() != 1) {
      throw new TfRecordFormatException(
          file,
          offset,
          "expected one bytes value in feature '"
              + imageKey
              + "', found "
              + (img == null ? "no such feature" : img.getBytesList().getValueCount() + " values")
              + "; features: "
              + features.keySet());
    }
    Feature label = features.get(labelKey);
    if (label == null || label.getInt64List().getValueCount() != 1) {
      throw new TfRecordFormatException(
          file,
          offset,
          "expected one int64 value in feature '"
              + labelKey
              + "', found "
              + (label == null
                  ? "no such feature"
                  : label.getInt64List().getValueCount() + " values")
              + "; features: "
              + features.keySet());
    }
    return new LabelledImage(
        img.getBytesList().getValue(0).toByteArray(), label.getInt64List().getValue(0));
  }
}
