package dev.tokenlearner.export.serving;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.exceptions.TFInvalidArgumentException;

/**
 * A small HTTP endpoint speaking the subset of TF Serving's REST API that classifying images needs,
 * on the JDK's {@link HttpServer}, over one shared {@link TokenLearnerPredictor}.
 *
 * <ul>
 *   <li>{@code GET /v1/models/NAME} (and {@code .../versions/V}): the version status;
 *   <li>{@code GET /v1/models/NAME[/versions/V]/metadata}: the signatures in TF Serving's schema
 *       ({@link SignatureMetadata});
 *   <li>{@code POST /v1/models/NAME:predict} (and {@code .../versions/V:predict}) with {@code
 *       {"signature_name": ..., "instances": [...]}}: an instance is {@code {"b64": "..."}} (an
 *       encoded image; {@code serving_bytes} is then the default signature), a list of those (the
 *       frames of a video example), a nested number array (a preprocessed input for {@code
 *       serving_default}), or an object naming the signature's one input ({@code {"image_bytes":
 *       {"b64": ...}}}). The answer is {@code {"predictions": [...]}}: one row per instance, or one
 *       object of named outputs per instance when the signature has several;
 *   <li>{@code GET /healthz}: 200 while serving, 503 once shutting down.
 * </ul>
 *
 * <p>Errors answer {@code {"error": "..."}}: 400 for a bad request (not JSON, wrong shape, an
 * undecodable image), 404 for an unknown model, version, signature or path, 405 for a wrong method,
 * 413 for a body over {@link ServerOptions#maxBodyBytes}, 503 while shutting down, and 500 for a
 * failure of the server itself, logged with its cause. {@link #close} stops taking requests and
 * lets those in flight finish (up to {@link ServerOptions#drainTimeout}).
 */
public final class RestServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);
  private static final Pattern PATH =
      Pattern.compile("/v1/models/([^/:]+)(?:/versions/([0-9]+))?(/metadata|:predict)?");
  private static final Pattern JSON_POSITION = Pattern.compile("line (\\d+) column (\\d+)");
  private static final String HEALTH = "/healthz";

  private final HttpServer server;
  private final ExecutorService executor;
  private final TokenLearnerPredictor predictor;
  private final String name;
  private final long version;
  private final ServerOptions options;
  private final Optional<RequestBatcher> batcher;
  private final Gson gson = new GsonBuilder().serializeSpecialFloatingPointValues().create();
  // Requests in their handler; close() waits for it to reach 0. Guarded by this.
  private int inFlight;
  private boolean draining;

  private RestServer(
      HttpServer server,
      ExecutorService executor,
      TokenLearnerPredictor predictor,
      String name,
      long version,
      ServerOptions options) {
    this.server = server;
    this.executor = executor;
    this.predictor = predictor;
    this.name = name;
    this.version = version;
    this.options = options;
    this.batcher = options.batching().map(b -> new RequestBatcher(predictor.model(), b));
  }

  /**
   * Starts serving with the default options and {@code threads} request threads.
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
    return start(predictor, name, version, address, ServerOptions.defaults().withThreads(threads));
  }

  /**
   * Starts serving.
   *
   * @param predictor the model; stays owned by the caller, close it after the server
   * @param name the model name in URLs
   * @param version the version number reported and accepted in URLs
   * @param address where to listen, e.g. {@code 127.0.0.1:8501}; port 0 picks a free one
   * @param options threads, body limit, drain time
   * @return the running server
   * @throws IOException if the address cannot be bound
   */
  public static RestServer start(
      TokenLearnerPredictor predictor,
      String name,
      long version,
      InetSocketAddress address,
      ServerOptions options)
      throws IOException {
    Objects.requireNonNull(predictor, "predictor");
    Objects.requireNonNull(options, "options");
    // Small answers otherwise wait for the client's delayed ACK (Nagle's algorithm): about 40 ms a
    // request on Linux. The JDK server reads this once, when its first instance is made.
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
    HttpServer server = HttpServer.create(address, 256);
    ExecutorService executor = Executors.newFixedThreadPool(options.threads());
    RestServer rest = new RestServer(server, executor, predictor, name, version, options);
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

  private static final String NODELAY = "sun.net.httpserver.nodelay";

  /**
   * Returns the bound address (with the real port when 0 was asked for).
   *
   * @return the address
   */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /**
   * Stops taking requests (new ones are answered 503), waits up to the drain time for those in
   * flight to finish, then stops listening. Closing twice is harmless.
   */
  @Override
  public void close() {
    long deadline = System.nanoTime() + options.drainTimeout().toNanos();
    synchronized (this) {
      draining = true;
      try {
        for (long left = deadline - System.nanoTime(); inFlight > 0 && left > 0; ) {
          TimeUnit.NANOSECONDS.timedWait(this, left);
          left = deadline - System.nanoTime();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (inFlight > 0) {
        LOG.warn(
            "stopping with {} requests still in flight after {}", inFlight, options.drainTimeout());
      }
    }
    server.stop(0);
    executor.shutdown();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    batcher.ifPresent(RequestBatcher::close);
  }

  /**
   * Returns the batcher merging predict requests.
   *
   * @return it, empty when batching is off
   */
  public Optional<RequestBatcher> batcher() {
    return batcher;
  }

  /** Requests in their handler now (tests). */
  synchronized int inFlight() {
    return inFlight;
  }

  private synchronized boolean enter() {
    if (draining) {
      return false;
    }
    inFlight++;
    return true;
  }

  private synchronized void exit() {
    inFlight--;
    notifyAll();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!enter()) {
        send(ex, 503, error("the server is shutting down"));
        return;
      }
      try {
        answer(ex);
      } finally {
        exit();
      }
    }
  }

  private void answer(HttpExchange ex) throws IOException {
    int status;
    JsonElement body;
    try {
      body = route(ex);
      status = 200;
    } catch (HttpError e) {
      status = e.status;
      body = error(e.getMessage());
      if (status == 405) {
        ex.getResponseHeaders().set("Allow", e.allow);
      }
    } catch (InvalidInputException e) {
      status = 400;
      body = error(e.getMessage());
    } catch (TFInvalidArgumentException e) {
      // TensorFlow refusing an input, e.g. bytes that are no image: the request's fault.
      status = 400;
      body = error("the model could not process the input: " + firstLine(e.getMessage()));
    } catch (RuntimeException | OutOfMemoryError e) {
      LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      status = 500;
      body =
          error(
              "the server failed to answer "
                  + ex.getRequestMethod()
                  + " "
                  + ex.getRequestURI().getPath()
                  + " ("
                  + e.getClass().getSimpleName()
                  + "); the server log has the cause");
    }
    send(ex, status, body);
  }

  private JsonElement route(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (HEALTH.equals(path)) {
      requireMethod(ex, "GET");
      JsonObject o = new JsonObject();
      o.addProperty("status", "SERVING");
      return o;
    }
    Matcher m = PATH.matcher(path);
    if (!m.matches() || !m.group(1).equals(name)) {
      throw new HttpError(404, "no model at " + path + "; this server serves /v1/models/" + name);
    }
    if (m.group(2) != null && !m.group(2).equals(Long.toString(version))) {
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
      return predict(readJson(ex));
    }
    requireMethod(ex, "GET");
    return "/metadata".equals(tail)
        ? SignatureMetadata.of(predictor.model(), name, version, predictor.labels())
        : status();
  }

  private void send(HttpExchange ex, int status, JsonElement body) throws IOException {
    byte[] out = gson.toJson(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
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

  private JsonObject predict(JsonElement parsed) {
    JsonObject req = parsed.isJsonObject() ? parsed.getAsJsonObject() : new JsonObject();
    boolean columnar = req.has("inputs") && !req.has("instances");
    if (!req.has("instances") && !columnar) {
      throw new InvalidInputException(
          "expected a JSON object with \"instances\" (row format) or \"inputs\" (columnar)");
    }
    // Columnar {"inputs": {"image_bytes": [...]}} or {"inputs": [...]}: one input, batch first.
    JsonElement instancesEl = columnar ? unwrapNamedInput(req.get("inputs")) : req.get("instances");
    if (!instancesEl.isJsonArray() || instancesEl.getAsJsonArray().isEmpty()) {
      throw new InvalidInputException(
          (columnar ? "\"inputs\"" : "\"instances\"") + " must be a non-empty list");
    }
    JsonArray instances = instancesEl.getAsJsonArray();
    List<JsonElement> values = new ArrayList<>();
    for (JsonElement inst : instances) {
      values.add(unwrapNamedInput(inst));
    }
    boolean bytes = isBytes(values.get(0));
    String signature = bytes ? Signatures.SERVING_BYTES : Signatures.SERVING_DEFAULT;
    if (req.has("signature_name")) {
      JsonElement sig = req.get("signature_name");
      if (!sig.isJsonPrimitive() || !sig.getAsJsonPrimitive().isString()) {
        throw new InvalidInputException("\"signature_name\" must be a string, got " + sig);
      }
      signature = sig.getAsString();
    }
    ServingModel model = predictor.model();
    if (!model.signatures().contains(signature)) {
      throw new HttpError(
          404,
          "model '"
              + name
              + "' has no signature '"
              + signature
              + "'; it has "
              + model.signatures());
    }
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
      outputs =
          batcher.isPresent()
              ? batcher.get().runEncoded(signature, encoded)
              : model.runEncoded(signature, encoded);
    } else {
      HostArray batch = numbers(values);
      outputs =
          batcher.isPresent()
              ? batcher.get().runAll(signature, batch)
              : model.runAll(signature, batch);
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
        throw new InvalidInputException(
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
      throw new InvalidInputException("expected {\"b64\": \"...\"}, got " + v);
    }
    try {
      return Base64.getDecoder().decode(v.getAsJsonObject().get("b64").getAsString());
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("\"b64\" is not valid base64: " + e.getMessage(), e);
    }
  }

  /** Stacks nested number arrays (one per instance) into a batch; all must share one shape. */
  private static HostArray numbers(List<JsonElement> instances) {
    List<Long> shape = new ArrayList<>();
    for (JsonElement e = instances.get(0); e.isJsonArray(); e = e.getAsJsonArray().get(0)) {
      if (e.getAsJsonArray().isEmpty()) {
        throw new InvalidInputException("empty list inside an instance");
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
        throw new InvalidInputException(
            "instance " + instance + ": expected a number at depth " + depth + ", got " + e);
      }
      data[at[0]++] = e.getAsFloat();
      return;
    }
    if (!e.isJsonArray() || e.getAsJsonArray().size() != shape.get(depth)) {
      throw new InvalidInputException(
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

  /** The body as one JSON value, strictly parsed; parser messages are not passed on. */
  private JsonElement readJson(HttpExchange ex) throws IOException {
    long limit = options.maxBodyBytes();
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null && declared.matches("[0-9]{1,18}") && Long.parseLong(declared) > limit) {
      throw tooLarge(Long.parseLong(declared) + " bytes");
    }
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(Math.toIntExact(limit + 1));
    }
    if (body.length > limit) {
      throw tooLarge("over " + limit + " bytes");
    }
    if (body.length == 0) {
      throw new InvalidInputException("the request body is empty; send a JSON object");
    }
    try {
      JsonReader reader =
          new JsonReader(
              new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
      reader.setStrictness(Strictness.STRICT);
      JsonElement parsed = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new InvalidInputException("the request body has more after its JSON value");
      }
      return parsed;
    } catch (JsonParseException | IOException e) {
      Matcher at = JSON_POSITION.matcher(String.valueOf(e.getMessage()));
      throw new InvalidInputException(
          "the request body is not valid JSON"
              + (at.find() ? " (line " + at.group(1) + ", column " + at.group(2) + ")" : ""));
    }
  }

  private HttpError tooLarge(String size) {
    return new HttpError(
        413,
        "the request body is "
            + size
            + "; this server takes at most "
            + options.maxBodyBytes()
            + " bytes (serve --max-body-bytes)");
  }

  private static void requireMethod(HttpExchange ex, String method) {
    if (!ex.getRequestMethod().equals(method)) {
      throw new HttpError(
          405, ex.getRequestMethod() + " is not allowed here; use " + method, method);
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
    private final String allow;

    HttpError(int status, String message) {
      this(status, message, "");
    }

    HttpError(int status, String message, String allow) {
      super(message);
      this.status = status;
      this.allow = allow;
    }
  }
}
