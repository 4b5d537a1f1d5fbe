package dev.tokenlearner.export.serving;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP endpoint speaking the subset of TF Serving's REST API that classifying images needs,
 * on the JDK's {@link HttpServer}, over one shared {@link TokenLearnerPredictor}.
 *
 * <ul>
 *   <li>{@code GET /v1/models/NAME} (and {@code .../versions/V}): the version status;
 *   <li>{@code GET /v1/models/NAME/metadata}: the signatures with their inputs and outputs;
 *   <li>{@code POST /v1/models/NAME:predict} (and {@code .../versions/V:predict}) with {@code
 *       {"signature_name": ..., "instances": [...]}}: an instance is {@code {"b64": "..."}} (an
 *       encoded image; {@code serving_bytes} is then the default signature), a list of those (the
 *       frames of a video example), a nested number array (a preprocessed input for {@code
 *       serving_default}), or an object naming the signature's one input ({@code {"image_bytes":
 *       {"b64": ...}}}). The answer is {@code {"predictions": [...]}}: one row per instance, or one
 *       object of named outputs per instance when the signature has several.
 * </ul>
 *
 * <p>Errors answer {@code {"error": "..."}} with status 400 (bad request) or 404 (unknown model,
 * version or path), as TF Serving does. Request bodies over {@link #MAX_BODY_BYTES} are refused.
 */
public final class RestServer implements AutoCloseable {

  /** Largest request body accepted. */
  public static final int MAX_BODY_BYTES = 64 << 20;

  private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);
  private static final Pattern PATH =
      Pattern.compile("/v1/models/([^/:]+)(?:/versions/([0-9]+))?(/metadata|:predict)?");

  private final HttpServer server;
  private final ExecutorService executor;
  private final TokenLearnerPredictor predictor;
  private final String name;
  private final long version;
  private final Gson gson = new GsonBuilder().serializeSpecialFloatingPointValues().create();

  private RestServer(
      HttpServer server,
      ExecutorService executor,
      TokenLearnerPredictor predictor,
      String name,
      long version) {
    this.server = server;
    this.executor = executor;
    this.predictor = predictor;
    this.name = name;
    this.version = version;
  }

  /**
   * Starts serving.
   *
   * @param predictor the model; stays owned by the caller, close it after the server
   * @param name the model name in URLs
   * @param version the version number reported and accepted in URLs
   * @param address where to listen, e.g. {@code 127.0.0.1:8501}; port 0 picks a free one
   * @param threads request threads
   * @return the running server
   * @throws IOException if the address cannot be bound
   */
  public static RestServer start(
      TokenLearnerPredictor predictor,
      String name,
      long version,
      InetSocketAddress address,
      int threads)
      throws IOException {
    Objects.requireNonNull(predictor, "predictor");
    if (threads <= 0) {
      throw new IllegalArgumentException("threads must be positive, got " + threads);
    }
    HttpServer server = HttpServer.create(address, 64);
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    RestServer rest = new RestServer(server, executor, predictor, name, version);
    server.createContext("/", rest::handle);
    server.setExecutor(executor);
    server.start();
    LOG.info(
        "serving model '{}' version {} on http://{}/v1/models/{}",
        name,
        version,
        rest.address().getHostString() + ":" + rest.address().getPort(),
        name);
    return rest;
  }

  /**
   * Returns the bound address (with the real port when 0 was asked for).
   *
   * @return the address
   */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Stops accepting requests, lets running ones finish for up to a second, and stops. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdown();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      int status;
      JsonElement body;
      try {
        Matcher m = PATH.matcher(ex.getRequestURI().getPath());
        if (!m.matches() || !m.group(1).equals(name)) {
          throw new HttpError(
              404,
              "no model at "
                  + ex.getRequestURI().getPath()
                  + "; this server serves /v1/models/"
                  + name);
        }
        if (m.group(2) != null && Long.parseLong(m.group(2)) != version) {
          throw new HttpError(
              404,
              "model '"
                  + name
                  + "' has no version "
                  + m.group(2)
                  + "; version "
                  + version
                  + " is served");
        }
        String tail = m.group(3);
        if (":predict".equals(tail)) {
          requireMethod(ex, "POST");
          body = predict(readBody(ex));
        } else if ("/metadata".equals(tail)) {
          requireMethod(ex, "GET");
          body = metadata();
        } else {
          requireMethod(ex, "GET");
          body = status();
        }
        status = 200;
      } catch (HttpError e) {
        status = e.status;
        body = error(e.getMessage());
      } catch (IllegalArgumentException | JsonParseException | IllegalStateException e) {
        status = 400;
        body = error(e.getMessage());
      } catch (RuntimeException e) {
        // TensorFlow's errors (e.g. an undecodable image) are the request's fault here too.
        LOG.warn("request failed: {}", e.toString());
        status = 400;
        body = error(e.toString());
      }
      byte[] out = gson.toJson(body).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(status, out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    }
  }

  private JsonObject status() {
    JsonObject st = new JsonObject();
    st.addProperty("error_code", "OK");
    st.addProperty("error_message", "");
    JsonObject v = new JsonObject();
    v.addProperty("version", Long.toString(version));
    v.addProperty("state", "AVAILABLE");
    v.add("status", st);
    JsonArray list = new JsonArray();
    list.add(v);
    JsonObject out = new JsonObject();
    out.add("model_version_status", list);
    return out;
  }

  private JsonObject metadata() {
    ServingModel m = predictor.model();
    JsonObject defs = new JsonObject();
    for (String key : m.signatures()) {
      JsonObject d = new JsonObject();
      d.add("inputs", gson.toJsonTree(m.signatureInputs(key)));
      d.add("outputs", gson.toJsonTree(m.signatureOutputs(key)));
      defs.add(key, d);
    }
    JsonObject spec = new JsonObject();
    spec.addProperty("name", name);
    spec.addProperty("signature_name", "");
    spec.addProperty("version", Long.toString(version));
    JsonObject meta = new JsonObject();
    meta.add("signature_def", defs);
    meta.add("labels", gson.toJsonTree(predictor.labels()));
    JsonObject out = new JsonObject();
    out.add("model_spec", spec);
    out.add("metadata", meta);
    return out;
  }

  private JsonObject predict(String text) {
    JsonElement parsed = JsonParser.parseString(text);
    JsonObject req = parsed.isJsonObject() ? parsed.getAsJsonObject() : new JsonObject();
    boolean columnar = req.has("inputs") && !req.has("instances");
    if (!req.has("instances") && !columnar) {
      throw new IllegalArgumentException(
          "expected a JSON object with \"instances\" (row format) or \"inputs\" (columnar)");
    }
    // Columnar {"inputs": {"image_bytes": [...]}} or {"inputs": [...]}: one input, batch first.
    JsonElement instancesEl = columnar ? unwrapNamedInput(req.get("inputs")) : req.get("instances");
    if (!instancesEl.isJsonArray() || instancesEl.getAsJsonArray().isEmpty()) {
      throw new IllegalArgumentException(
          (columnar ? "\"inputs\"" : "\"instances\"") + " must be a non-empty list");
    }
    JsonArray instances = instancesEl.getAsJsonArray();
    List<JsonElement> values = new ArrayList<>();
    for (JsonElement inst : instances) {
      values.add(unwrapNamedInput(inst));
    }
    boolean bytes = isBytes(values.get(0));
    String signature =
        req.has("signature_name")
            ? req.get("signature_name").getAsString()
            : bytes ? Signatures.SERVING_BYTES : Signatures.SERVING_DEFAULT;
    ServingModel model = predictor.model();
    Map<String, HostArray> outputs;
    if (bytes) {
      List<byte[]> encoded = new ArrayList<>();
      for (JsonElement v : values) {
        if (v.isJsonArray()) {
          for (JsonElement frame : v.getAsJsonArray()) {
            encoded.add(b64(frame));
          }
        } else {
          encoded.add(b64(v));
        }
      }
      outputs = model.runEncoded(signature, encoded);
    } else {
      outputs = model.runAll(signature, numbers(values));
    }
    if (columnar) {
      // TF Serving answers columnar requests with whole output tensors.
      JsonObject out = new JsonObject();
      if (outputs.size() == 1) {
        out.add("outputs", whole(outputs.values().iterator().next()));
      } else {
        JsonObject named = new JsonObject();
        outputs.forEach((k, v) -> named.add(k, whole(v)));
        out.add("outputs", named);
      }
      return out;
    }
    JsonArray predictions = new JsonArray();
    for (int i = 0; i < instances.size(); i++) {
      if (outputs.size() == 1) {
        predictions.add(row(outputs.values().iterator().next(), i));
      } else {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, HostArray> e : outputs.entrySet()) {
          o.add(e.getKey(), row(e.getValue(), i));
        }
        predictions.add(o);
      }
    }
    JsonObject out = new JsonObject();
    out.add("predictions", predictions);
    return out;
  }

  /** {@code {"image_bytes": X}} or {@code {"images": X}} becomes X; anything else stays. */
  private static JsonElement unwrapNamedInput(JsonElement inst) {
    if (inst != null && inst.isJsonObject() && !inst.getAsJsonObject().has("b64")) {
      JsonObject o = inst.getAsJsonObject();
      if (o.size() != 1) {
        throw new IllegalArgumentException(
            "an instance object names the signature's one input, got keys " + o.keySet());
      }
      return o.entrySet().iterator().next().getValue();
    }
    return inst;
  }

  private static boolean isBytes(JsonElement v) {
    if (v.isJsonObject()) {
      return true;
    }
    return v.isJsonArray()
        && !v.getAsJsonArray().isEmpty()
        && v.getAsJsonArray().get(0).isJsonObject();
  }

  private static byte[] b64(JsonElement v) {
    if (!v.isJsonObject() || !v.getAsJsonObject().has("b64")) {
      throw new IllegalArgumentException("expected {\"b64\": \"...\"}, got " + v);
    }
    try {
      return Base64.getDecoder().decode(v.getAsJsonObject().get("b64").getAsString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("\"b64\" is not valid base64: " + e.getMessage(), e);
    }
  }

  /** Stacks nested number arrays (one per instance) into a batch; all must share one shape. */
  private static HostArray numbers(List<JsonElement> instances) {
    List<Long> shape = new ArrayList<>();
    for (JsonElement e = instances.get(0); e.isJsonArray(); e = e.getAsJsonArray().get(0)) {
      if (e.getAsJsonArray().isEmpty()) {
        throw new IllegalArgumentException("empty list inside an instance");
      }
      shape.add((long) e.getAsJsonArray().size());
    }
    long per = shape.stream().reduce(1L, Math::multiplyExact);
    float[] data = new float[Math.toIntExact(Math.multiplyExact(per, instances.size()))];
    int[] at = {0};
    for (int i = 0; i < instances.size(); i++) {
      flatten(instances.get(i), shape, 0, data, at, i);
    }
    long[] dims = new long[shape.size() + 1];
    dims[0] = instances.size();
    for (int i = 0; i < shape.size(); i++) {
      dims[i + 1] = shape.get(i);
    }
    return new HostArray(dims, data);
  }

  private static void flatten(
      JsonElement e, List<Long> shape, int depth, float[] data, int[] at, int instance) {
    if (depth == shape.size()) {
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
        throw new IllegalArgumentException(
            "instance " + instance + ": expected a number at depth " + depth + ", got " + e);
      }
      data[at[0]++] = e.getAsFloat();
      return;
    }
    if (!e.isJsonArray() || e.getAsJsonArray().size() != shape.get(depth)) {
      throw new IllegalArgumentException(
          "instance " + instance + ": ragged input; every instance must have shape " + shape);
    }
    for (JsonElement c : e.getAsJsonArray()) {
      flatten(c, shape, depth + 1, data, at, instance);
    }
  }

  /** A whole array as nested lists. */
  private static JsonElement whole(HostArray a) {
    return nest(a.data(), 0, a.shape(), 0);
  }

  /** Example {@code i} of a batch-first array as nested lists. */
  private static JsonElement row(HostArray a, int i) {
    long[] shape = a.shape();
    int per = a.data().length / Math.toIntExact(shape[0]);
    return nest(a.data(), i * per, shape, 1);
  }

  private static JsonElement nest(float[] data, int offset, long[] shape, int dim) {
    if (dim == shape.length) {
      return new JsonPrimitive(data[offset]);
    }
    int stride = 1;
    for (int d = dim + 1; d < shape.length; d++) {
      stride *= (int) shape[d];
    }
    JsonArray arr = new JsonArray();
    for (int k = 0; k < shape[dim]; k++) {
      arr.add(nest(data, offset + k * stride, shape, dim + 1));
    }
    return arr;
  }

  private static String readBody(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
      if (body.length > MAX_BODY_BYTES) {
        throw new HttpError(413, "request body over " + MAX_BODY_BYTES + " bytes");
      }
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private static void requireMethod(HttpExchange ex, String method) {
    if (!ex.getRequestMethod().equals(method)) {
      throw new HttpError(405, ex.getRequestMethod() + " not allowed here; use " + method);
    }
  }

  private static JsonObject error(String message) {
    JsonObject o = new JsonObject();
    o.addProperty("error", message);
    return o;
  }

  /** An error answered with a specific HTTP status. */
  private static final class HttpError extends RuntimeException {
    private final int status;

    HttpError(int status, String message) {
      super(message);
      this.status = status;
    }
  }
}
