package dev.tokenlearner.export.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.savedmodel.Signatures;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.exceptions.TFInvalidArgumentException;

/** Concurrent requests merged into one run still get their own answers. */
class RequestBatcherTest {

  // Long enough that every request of a test joins the first batch even on a busy machine; a full
  // batch runs at once, so the tests do not wait for it.
  private static final Duration PATIENT = Duration.ofMinutes(1);

  @TempDir static Path tmp;
  private static TokenLearnerPredictor predictor;

  @BeforeAll
  static void load() throws IOException {
    ServingFixture.export(tmp.resolve("m"));
    predictor = TokenLearnerPredictor.load(tmp.resolve("m"));
  }

  @AfterAll
  static void close() {
    predictor.close();
  }

  private static HostArray image(long seed) {
    float[] d = new float[16 * 16 * 3];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) r.nextDouble(-1, 1);
    }
    return new HostArray(new long[] {1, 16, 16, 3}, d);
  }

  private static String instance(HostArray a) {
    StringBuilder sb = new StringBuilder("[");
    for (int y = 0; y < 16; y++) {
      sb.append(y == 0 ? "[" : ",[");
      for (int x = 0; x < 16; x++) {
        sb.append(x == 0 ? "[" : ",[");
        for (int c = 0; c < 3; c++) {
          sb.append(c == 0 ? "" : ",").append(a.data()[(y * 16 + x) * 3 + c]);
        }
        sb.append(']');
      }
      sb.append(']');
    }
    return sb.append(']').toString();
  }

  @Test
  void concurrentHttpRequests_mergeIntoOneRunAndEachGetsItsOwnLogits() throws Exception {
    int clients = 8;
    try (RestServer server =
        RestServer.start(
            predictor,
            "tiny",
            1,
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            ServerOptions.defaults()
                .withThreads(clients)
                .withBatching(new BatchingOptions(clients, PATIENT, 1)))) {
      HttpClient client = HttpClient.newHttpClient();
      String url = "http://127.0.0.1:" + server.address().getPort() + "/v1/models/tiny:predict";
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
          String body = "{\"instances\": [" + instance(image(i)) + "]}";
          answers.add(
              pool.submit(
                  () ->
                      client.send(
                          HttpRequest.newBuilder(URI.create(url))
                              .timeout(Duration.ofMinutes(2))
                              .POST(HttpRequest.BodyPublishers.ofString(body))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())));
        }
        for (int i = 0; i < clients; i++) {
          HttpResponse<String> r = answers.get(i).get(120, TimeUnit.SECONDS);
          assertEquals(200, r.statusCode(), r.body());
          JsonArray row =
              JsonParser.parseString(r.body())
                  .getAsJsonObject()
                  .getAsJsonArray("predictions")
                  .get(0)
                  .getAsJsonArray();
          float[] alone = predictor.predict(image(i)).logits().data();
          for (int c = 0; c < alone.length; c++) {
            assertEquals(alone[c], row.get(c).getAsFloat(), 1e-5, "client " + i);
          }
        }
      } finally {
        pool.shutdownNow();
      }
      RequestBatcher b = server.batcher().orElseThrow();
      assertEquals(clients, b.requests());
      assertEquals(1, b.runs(), "the " + clients + " requests should share one session run");
    }
  }

  @Test
  void requestsOfSeveralSizes_fillBatchesUpToTheMaxAndKeepTheirRows() throws Exception {
    try (RequestBatcher b =
        new RequestBatcher(predictor.model(), new BatchingOptions(6, PATIENT, 2))) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        // 1 + 2 + 3 examples fill one batch of 6.
        List<Future<Map<String, HostArray>>> out = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
          HostArray batch = batch(n, 100 + n);
          out.add(pool.submit(() -> b.runAll(Signatures.SERVING_DEFAULT, batch)));
        }
        for (int n = 1; n <= 3; n++) {
          HostArray got = out.get(n - 1).get(120, TimeUnit.SECONDS).get(Signatures.LOGITS);
          HostArray alone = predictor.predict(batch(n, 100 + n)).logits();
          assertArrayEquals(alone.shape(), got.shape());
          assertTrue(alone.maxAbsDiff(got) <= 1e-5, "request of " + n);
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(1, b.runs());
      assertEquals(3, b.requests());
    }
  }

  @Test
  void badImageInMergedBatch_failsAloneAndTheOthersAreAnswered() throws Exception {
    byte[] good1 = ServingFixture.png(20, 18, 1);
    byte[] good2 = ServingFixture.png(17, 25, 2);
    byte[] bad = {1, 2, 3};
    try (RequestBatcher b =
        new RequestBatcher(predictor.model(), new BatchingOptions(3, PATIENT, 1))) {
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        Future<Map<String, HostArray>> a =
            pool.submit(() -> b.runEncoded(Signatures.SERVING_BYTES, List.of(good1)));
        Future<Map<String, HostArray>> x =
            pool.submit(() -> b.runEncoded(Signatures.SERVING_BYTES, List.of(bad)));
        Future<Map<String, HostArray>> c =
            pool.submit(() -> b.runEncoded(Signatures.SERVING_BYTES, List.of(good2)));
        HostArray la = a.get(120, TimeUnit.SECONDS).get(Signatures.LOGITS);
        HostArray lc = c.get(120, TimeUnit.SECONDS).get(Signatures.LOGITS);
        assertTrue(predictor.predictEncoded(List.of(good1)).logits().maxAbsDiff(la) <= 1e-5);
        assertTrue(predictor.predictEncoded(List.of(good2)).logits().maxAbsDiff(lc) <= 1e-5);
        ExecutionException e = assertThrows(ExecutionException.class, () -> x.get());
        assertTrue(e.getCause() instanceof TFInvalidArgumentException, e.getCause().toString());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void wrongShape_failsAsWithoutBatching() {
    try (RequestBatcher b =
        new RequestBatcher(predictor.model(), new BatchingOptions(4, Duration.ZERO, 1))) {
      HostArray wrong = new HostArray(new long[] {1, 8, 8, 3}, new float[8 * 8 * 3]);
      assertThrows(InvalidInputException.class, () -> b.runAll(Signatures.SERVING_DEFAULT, wrong));
    }
  }

  @Test
  void afterClose_refusesRequests() {
    RequestBatcher b = new RequestBatcher(predictor.model(), BatchingOptions.defaults());
    b.close();
    assertThrows(IllegalStateException.class, () -> b.runAll(Signatures.SERVING_DEFAULT, image(1)));
  }

  /** A batch of {@code n} of the fixture's 16x16x3 images. */
  private static HostArray batch(int n, long seed) {
    float[] d = new float[n * 16 * 16 * 3];
    for (int i = 0; i < n; i++) {
      System.arraycopy(image(seed * 31 + i).data(), 0, d, i * 768, 768);
    }
    return new HostArray(new long[] {n, 16, 16, 3}, d);
  }
}
