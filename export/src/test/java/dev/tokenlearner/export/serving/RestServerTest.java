package dev.tokenlearner.export.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST endpoint on loopback, answered like TF Serving. */
class RestServerTest {

  @TempDir static Path tmp;
  private static TokenLearnerPredictor predictor;
  private static RestServer server;
  private static HttpClient client;
  private static String base;

  @BeforeAll
  static void start() throws IOException {
    ServingFixture.export(tmp.resolve("m"));
    predictor = TokenLearnerPredictor.load(tmp.resolve("m"));
    server =
        RestServer.start(
            predictor, "tiny", 7, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2);
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    base = "http://127.0.0.1:" + server.address().getPort() + "/v1/models/tiny";
  }

  @AfterAll
  static void stop() {
    server.close();
    predictor.close();
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void status_servedModel_isAvailableWithItsVersion() throws Exception {
    HttpResponse<String> r = get(base);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject v =
        JsonParser.parseString(r.body())
            .getAsJsonObject()
            .getAsJsonArray("model_version_status")
            .get(0)
            .getAsJsonObject();
    assertEquals("7", v.get("version").getAsString());
    assertEquals("AVAILABLE", v.get("state").getAsString());
    assertEquals(200, get(base + "/versions/7").statusCode());
    assertEquals(404, get(base + "/versions/8").statusCode());
    assertEquals(
        404, get("http://127.0.0.1:" + server.address().getPort() + "/v1/models/x").statusCode());
  }

  @Test
  void metadata_followsTfServingSchema() throws Exception {
    for (String url : List.of(base + "/metadata", base + "/versions/7/metadata")) {
      HttpResponse<String> r = get(url);
      assertEquals(200, r.statusCode(), r.body());
      JsonObject root = JsonParser.parseString(r.body()).getAsJsonObject();
      JsonObject spec = root.getAsJsonObject("model_spec");
      assertEquals("tiny", spec.get("name").getAsString());
      assertEquals("7", spec.get("version").getAsString());
      JsonObject meta = root.getAsJsonObject("metadata");
      JsonObject defs = meta.getAsJsonObject("signature_def").getAsJsonObject("signature_def");
      assertEquals(predictor.model().signatures(), defs.keySet().stream().sorted().toList());
      JsonObject images =
          defs.getAsJsonObject("serving_default")
              .getAsJsonObject("inputs")
              .getAsJsonObject("images");
      assertEquals("DT_FLOAT", images.get("dtype").getAsString());
      assertEquals("images:0", images.get("name").getAsString());
      JsonObject shape = images.getAsJsonObject("tensor_shape");
      assertFalse(shape.get("unknown_rank").getAsBoolean());
      List<String> sizes = new ArrayList<>();
      shape
          .getAsJsonArray("dim")
          .forEach(d -> sizes.add(d.getAsJsonObject().get("size").getAsString()));
      assertEquals(List.of("-1", "16", "16", "3"), sizes);
      JsonObject bytes = defs.getAsJsonObject("serving_bytes");
      assertEquals("tensorflow/serving/predict", bytes.get("method_name").getAsString());
      assertEquals(
          "DT_STRING",
          bytes
              .getAsJsonObject("inputs")
              .getAsJsonObject("image_bytes")
              .get("dtype")
              .getAsString());
      JsonObject probs = bytes.getAsJsonObject("outputs").getAsJsonObject("probabilities");
      assertEquals("probabilities:0", probs.get("name").getAsString());
      assertEquals(2, probs.getAsJsonObject("tensor_shape").getAsJsonArray("dim").size());
      assertEquals(
          "5",
          probs
              .getAsJsonObject("tensor_shape")
              .getAsJsonArray("dim")
              .get(1)
              .getAsJsonObject()
              .get("size")
              .getAsString());
      assertEquals(ServingFixture.LABELS.size(), meta.getAsJsonArray("labels").size());
    }
  }

  @Test
  void health_servingServer_answers200() throws Exception {
    HttpResponse<String> r = get("http://127.0.0.1:" + server.address().getPort() + "/healthz");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(
        "SERVING", JsonParser.parseString(r.body()).getAsJsonObject().get("status").getAsString());
  }

  @Test
  void predict_b64Instances_equalJavaPredictorOnSameBytes() throws Exception {
    byte[] a = ServingFixture.png(30, 20, 11);
    byte[] b = ServingFixture.png(18, 40, 12);
    String body =
        "{\"instances\": [{\"b64\": \""
            + Base64.getEncoder().encodeToString(a)
            + "\"}, {\"image_bytes\": {\"b64\": \""
            + Base64.getEncoder().encodeToString(b)
            + "\"}}]}";
    HttpResponse<String> r = post(base + ":predict", body);
    assertEquals(200, r.statusCode(), r.body());
    JsonArray preds =
        JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("predictions");
    Predictions expected = predictor.predictEncoded(List.of(a, b));
    assertEquals(2, preds.size());
    for (int i = 0; i < 2; i++) {
      JsonObject p = preds.get(i).getAsJsonObject();
      JsonArray logits = p.getAsJsonArray("logits");
      JsonArray probs = p.getAsJsonArray("probabilities");
      for (int c = 0; c < 5; c++) {
        assertEquals(expected.logits().data()[i * 5 + c], logits.get(c).getAsFloat(), 1e-6);
        assertEquals(expected.probabilities().data()[i * 5 + c], probs.get(c).getAsFloat(), 1e-6);
      }
    }
  }

  @Test
  void predict_columnarInputs_answerWholeOutputTensors() throws Exception {
    byte[] a = ServingFixture.png(25, 25, 21);
    byte[] b = ServingFixture.png(33, 19, 22);
    String body =
        "{\"signature_name\": \"serving_bytes\", \"inputs\": {\"image_bytes\": [{\"b64\": \""
            + Base64.getEncoder().encodeToString(a)
            + "\"}, {\"b64\": \""
            + Base64.getEncoder().encodeToString(b)
            + "\"}]}}";
    HttpResponse<String> r = post(base + ":predict", body);
    assertEquals(200, r.statusCode(), r.body());
    JsonArray logits =
        JsonParser.parseString(r.body())
            .getAsJsonObject()
            .getAsJsonObject("outputs")
            .getAsJsonArray("logits");
    Predictions expected = predictor.predictEncoded(List.of(a, b));
    assertEquals(2, logits.size());
    for (int i = 0; i < 2; i++) {
      for (int c = 0; c < 5; c++) {
        assertEquals(
            expected.logits().data()[i * 5 + c],
            logits.get(i).getAsJsonArray().get(c).getAsFloat(),
            1e-6);
      }
    }
  }

  @Test
  void predict_videoInstancesOfB64Frames_equalJavaPredictor() throws Exception {
    ExperimentConfig cfg =
        ConfigLoader.load(Fixtures.set("tiny_video_3dconv").resolve("config.json"));
    Path dir = tmp.resolve("video");
    SavedModelExporter.of(ExportSpec.of(cfg, Optional.empty()))
        .export(dir, Checkpoints.read(Fixtures.checkpoint("tiny_video_3dconv")).params());
    int frames = cfg.input().numFrames();
    List<byte[]> all = new java.util.ArrayList<>();
    StringBuilder body = new StringBuilder("{\"instances\": [");
    for (int e = 0; e < 2; e++) {
      body.append(e == 0 ? "[" : ", [");
      for (int t = 0; t < frames; t++) {
        byte[] frame = ServingFixture.png(18 + t, 22 - e, 40 + e * frames + t);
        all.add(frame);
        body.append(t == 0 ? "" : ", ")
            .append("{\"b64\": \"")
            .append(Base64.getEncoder().encodeToString(frame))
            .append("\"}");
      }
      body.append("]");
    }
    body.append("]}");
    try (TokenLearnerPredictor video = TokenLearnerPredictor.load(dir);
        RestServer s =
            RestServer.start(
                video, "video", 1, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1)) {
      HttpResponse<String> r =
          post(
              "http://127.0.0.1:" + s.address().getPort() + "/v1/models/video:predict",
              body.toString());
      assertEquals(200, r.statusCode(), r.body());
      JsonArray preds =
          JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("predictions");
      Predictions expected = video.predictEncoded(all);
      int k = cfg.numClasses();
      assertEquals(2, preds.size());
      for (int e = 0; e < 2; e++) {
        JsonArray logits = preds.get(e).getAsJsonObject().getAsJsonArray("logits");
        for (int c = 0; c < k; c++) {
          assertEquals(expected.logits().data()[e * k + c], logits.get(c).getAsFloat(), 1e-6);
        }
      }
    }
  }

  @Test
  void predict_numberInstances_runServingDefault() throws Exception {
    float[] data = new float[16 * 16 * 3];
    StringBuilder sb = new StringBuilder("{\"instances\": [[");
    for (int y = 0; y < 16; y++) {
      sb.append(y == 0 ? "[" : ",[");
      for (int x = 0; x < 16; x++) {
        sb.append(x == 0 ? "[" : ",[");
        for (int c = 0; c < 3; c++) {
          float v = (float) Math.sin(y * 16 * 3 + x * 3 + c);
          data[(y * 16 + x) * 3 + c] = v;
          sb.append(c == 0 ? "" : ",").append(v);
        }
        sb.append(']');
      }
      sb.append(']');
    }
    sb.append("]]}");
    HttpResponse<String> r = post(base + ":predict", sb.toString());
    assertEquals(200, r.statusCode(), r.body());
    JsonArray row =
        JsonParser.parseString(r.body())
            .getAsJsonObject()
            .getAsJsonArray("predictions")
            .get(0)
            .getAsJsonArray();
    HostArray expected = predictor.predict(new HostArray(new long[] {1, 16, 16, 3}, data)).logits();
    for (int c = 0; c < 5; c++) {
      assertEquals(expected.data()[c], row.get(c).getAsFloat(), 1e-6);
    }
  }

  /** The {@code error} text of an answer, asserting the status and that it is our own words. */
  private static String error(HttpResponse<String> r, int status) {
    assertEquals(status, r.statusCode(), r.body());
    JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
    assertEquals(List.of("error"), List.copyOf(o.keySet()), r.body());
    String e = o.get("error").getAsString();
    assertFalse(e.isBlank());
    assertFalse(e.contains("http") || e.toLowerCase(Locale.ROOT).contains("gson"), e);
    assertFalse(e.toLowerCase(Locale.ROOT).contains("exception:"), e);
    return e;
  }

  @Test
  void predict_badRequests_answer400WithOurOwnWords() throws Exception {
    for (String body :
        List.of(
            "not json",
            "{\"instances\": [1,",
            "{\"instances\": [[1]]} trailing",
            "",
            "{\"inputs\": []}",
            "{\"signature_name\": 3, \"instances\": [[1]]}",
            "{\"instances\": [{\"b64\": \"%%%\"}]}",
            "{\"instances\": [{\"b64\": \""
                + Base64.getEncoder().encodeToString(new byte[] {1, 2})
                + "\"}]}",
            "{\"instances\": [[1, 2], [3]]}",
            "{\"instances\": [[1, 2, 3]]}")) {
      error(post(base + ":predict", body), 400);
    }
    assertTrue(error(post(base + ":predict", "{\"instances\": [1,"), 400).contains("line 1"));
  }

  @Test
  void unknownModelVersionSignatureOrPath_answer404() throws Exception {
    String root = "http://127.0.0.1:" + server.address().getPort();
    error(get(root + "/v1/models/other"), 404);
    error(get(root + "/v1/models/other/metadata"), 404);
    error(get(root + "/nothing"), 404);
    error(get(base + "/versions/8"), 404);
    error(get(base + "/versions/8/metadata"), 404);
    error(post(base + "/versions/8:predict", "{\"instances\": [[1]]}"), 404);
    String e =
        error(post(base + ":predict", "{\"signature_name\": \"nope\", \"instances\": [[1]]}"), 404);
    assertTrue(e.contains("nope") && e.contains("serving_default"), e);
  }

  @Test
  void wrongMethod_answers405WithAllow() throws Exception {
    HttpResponse<String> r = get(base + ":predict");
    error(r, 405);
    assertEquals(Optional.of("POST"), r.headers().firstValue("Allow"));
    HttpResponse<String> m = post(base + "/metadata", "{}");
    error(m, 405);
    assertEquals(Optional.of("GET"), m.headers().firstValue("Allow"));
  }

  @Test
  void bodyOverLimit_answers413AndSmallerBodiesStillWork() throws Exception {
    try (RestServer small =
        RestServer.start(
            predictor,
            "tiny",
            1,
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            ServerOptions.defaults().withThreads(1).withMaxBodyBytes(4096))) {
      String url = "http://127.0.0.1:" + small.address().getPort() + "/v1/models/tiny:predict";
      String big = "{\"instances\": [" + "0,".repeat(4000) + "0]}";
      assertTrue(error(post(url, big), 413).contains("4096"));
      String image =
          "{\"instances\": [{\"b64\": \""
              + Base64.getEncoder().encodeToString(ServingFixture.png(16, 16, 5))
              + "\"}]}";
      assertTrue(image.length() < 4096);
      assertEquals(200, post(url, image).statusCode());
    }
  }

  @Test
  void closedModel_answers500WithoutItsInternals() throws Exception {
    try (TokenLearnerPredictor closed = TokenLearnerPredictor.load(tmp.resolve("m"));
        RestServer s =
            RestServer.start(
                closed, "tiny", 1, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1)) {
      closed.close();
      String url = "http://127.0.0.1:" + s.address().getPort() + "/v1/models/tiny:predict";
      String e = error(post(url, "{\"instances\": [{\"b64\": \"AAAA\"}]}"), 500);
      assertTrue(e.contains("server log"), e);
      assertFalse(e.contains(tmp.toString()), e);
    }
  }

  @Test
  void close_letsRequestInFlightFinishAndRefusesNewOnes() throws Exception {
    byte[] png = ServingFixture.png(20, 20, 9);
    byte[] body =
        ("{\"instances\": [{\"b64\": \"" + Base64.getEncoder().encodeToString(png) + "\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    RestServer s =
        RestServer.start(
            predictor, "tiny", 1, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2);
    String root = "http://127.0.0.1:" + s.address().getPort();
    // A raw client that sends the headers and part of the body, then waits: the request is in its
    // handler meanwhile.
    try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), s.address().getPort())) {
      OutputStream out = raw.getOutputStream();
      out.write(
          ("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                  + body.length
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, 10);
      out.flush();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (s.inFlight() == 0) {
        assertTrue(System.nanoTime() < deadline, "the request never reached its handler");
        Thread.sleep(10);
      }
      Thread closer = new Thread(s::close);
      closer.start();
      // While draining: new requests are refused, the one in flight is not cut off.
      HttpResponse<String> health = null;
      while (health == null || health.statusCode() != 503) {
        assertTrue(System.nanoTime() < deadline, "never refused while draining");
        health =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(root + "/healthz")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
      }
      assertTrue(closer.isAlive());
      out.write(body, 10, body.length - 10);
      out.flush();
      String answer = new String(raw.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      float[] expected = predictor.predictEncoded(List.of(png)).logits().data();
      JsonArray logits =
          JsonParser.parseString(answer.substring(answer.indexOf("\r\n\r\n") + 4))
              .getAsJsonObject()
              .getAsJsonArray("predictions")
              .get(0)
              .getAsJsonObject()
              .getAsJsonArray("logits");
      assertEquals(expected[0], logits.get(0).getAsFloat(), 1e-6);
      closer.join(60_000);
      assertFalse(closer.isAlive());
    }
  }
}
