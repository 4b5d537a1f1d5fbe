package dev.tokenlearner.export.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
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
  void metadata_listsSignaturesAndLabels() throws Exception {
    HttpResponse<String> r = get(base + "/metadata");
    assertEquals(200, r.statusCode(), r.body());
    JsonObject meta =
        JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("metadata");
    assertEquals(
        "DT_STRING [-1]",
        meta.getAsJsonObject("signature_def")
            .getAsJsonObject("serving_bytes")
            .getAsJsonObject("inputs")
            .get("image_bytes")
            .getAsString());
    assertEquals(ServingFixture.LABELS.size(), meta.getAsJsonArray("labels").size());
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

  @Test
  void predict_badRequests_answer400WithError() throws Exception {
    for (String body :
        List.of(
            "not json",
            "{\"inputs\": []}",
            "{\"instances\": [{\"b64\": \"%%%\"}]}",
            "{\"instances\": [{\"b64\": \""
                + Base64.getEncoder().encodeToString(new byte[] {1, 2})
                + "\"}]}",
            "{\"instances\": [[1, 2], [3]]}")) {
      HttpResponse<String> r = post(base + ":predict", body);
      assertEquals(400, r.statusCode(), body + " -> " + r.body());
      assertTrue(JsonParser.parseString(r.body()).getAsJsonObject().has("error"), r.body());
    }
    assertEquals(405, get(base + ":predict").statusCode());
  }
}
