package dev.tokenlearner.export.serving;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.tokenlearner.export.savedmodel.ServingModel;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The answer to {@code GET /v1/models/NAME/metadata} in TF Serving's schema, so its client
 * libraries read it: {@code model_spec} plus {@code metadata.signature_def.signature_def.<key>}
 * with {@code inputs}/{@code outputs} of {@code {dtype, tensor_shape: {dim: [{size, name}],
 * unknown_rank}, name}} and {@code method_name}. Sizes are strings, as protobuf's JSON mapping
 * writes 64-bit integers. The class names ride along as {@code metadata.labels} (TF Serving's
 * metadata is a map of named entries; clients look up the ones they know).
 */
final class SignatureMetadata {

  private SignatureMetadata() {}

  /**
   * Builds the answer.
   *
   * @param model the served model
   * @param name the model name in URLs
   * @param version the served version
   * @param labels class names in class order, possibly empty
   * @return the JSON object
   */
  static JsonObject of(ServingModel model, String name, long version, List<String> labels) {
    JsonObject defs = new JsonObject();
    for (String key : model.signatures()) {
      defs.add(key, signature(model.signatureDef(key)));
    }
    JsonObject signatureDef = new JsonObject();
    signatureDef.add("signature_def", defs);
    JsonObject metadata = new JsonObject();
    metadata.add("signature_def", signatureDef);
    JsonArray names = new JsonArray();
    labels.forEach(names::add);
    metadata.add("labels", names);
    JsonObject out = new JsonObject();
    out.add("model_spec", modelSpec(name, version));
    out.add("metadata", metadata);
    return out;
  }

  /** TF Serving's {@code model_spec}: name, version as a string, and an empty signature name. */
  static JsonObject modelSpec(String name, long version) {
    JsonObject spec = new JsonObject();
    spec.addProperty("name", name);
    spec.addProperty("signature_name", "");
    spec.addProperty("version", Long.toString(version));
    return spec;
  }

  private static JsonObject signature(SignatureDef def) {
    JsonObject o = new JsonObject();
    o.add("inputs", tensors(def.getInputsMap()));
    o.add("outputs", tensors(def.getOutputsMap()));
    o.addProperty("method_name", def.getMethodName());
    return o;
  }

  private static JsonObject tensors(Map<String, TensorInfo> infos) {
    JsonObject o = new JsonObject();
    new TreeMap<>(infos).forEach((k, v) -> o.add(k, tensor(v)));
    return o;
  }

  private static JsonObject tensor(TensorInfo info) {
    TensorShapeProto shape = info.getTensorShape();
    JsonArray dims = new JsonArray();
    for (TensorShapeProto.Dim d : shape.getDimList()) {
      JsonObject dim = new JsonObject();
      dim.addProperty("size", Long.toString(d.getSize()));
      dim.addProperty("name", d.getName());
      dims.add(dim);
    }
    JsonObject s = new JsonObject();
    s.add("dim", dims);
    s.addProperty("unknown_rank", shape.getUnknownRank());
    JsonObject o = new JsonObject();
    o.addProperty("dtype", info.getDtype().name());
    o.add("tensor_shape", s);
    o.addProperty("name", info.getName());
    return o;
  }
}
