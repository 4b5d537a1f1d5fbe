package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** import --serving-root --labels, inspect --model and predict --top-k end to end. */
class ServingCommandsTest {

  private static final Path TESTDATA =
      Path.of(System.getProperty("tokenlearner.testdata", "../testdata"));
  private static final Path FIXTURE = TESTDATA.resolve("fixtures/tiny_v11");
  private static final List<String> LABELS = List.of("ant", "bee", "cat, wild", "dog", "eel");

  @TempDir static Path tmp;
  private static Path root;
  private static Path images;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @BeforeAll
  static void importTwice() throws IOException {
    root = tmp.resolve("models/tiny");
    Path labels = tmp.resolve("labels.txt");
    Files.writeString(labels, String.join("\n", LABELS) + "\n\n", StandardCharsets.UTF_8);
    for (int i = 0; i < 2; i++) {
      CliRun r =
          run(
              "import",
              "--checkpoint",
              FIXTURE.resolve("checkpoint_1001").toString(),
              "--config",
              FIXTURE.resolve("config.json").toString(),
              "--serving-root",
              root.toString(),
              "--labels",
              labels.toString());
      assertEquals(0, r.code(), r.err());
    }
    images = tmp.resolve("images");
    Files.createDirectories(images);
    SplittableRandom rnd = new SplittableRandom(5);
    for (int i = 0; i < 5; i++) {
      BufferedImage img = new BufferedImage(20 + i * 7, 31 - i * 3, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < img.getHeight(); y++) {
        for (int x = 0; x < img.getWidth(); x++) {
          img.setRGB(x, y, rnd.nextInt(1 << 24));
        }
      }
      ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
    }
  }

  @Test
  void import_servingRootTwice_writesVersionsOneAndTwo() {
    assertTrue(Files.isRegularFile(root.resolve("1/saved_model.pb")));
    assertTrue(Files.isRegularFile(root.resolve("2/saved_model.pb")));
    assertTrue(Files.notExists(root.resolve("3")));
  }

  @Test
  void inspectModel_servingRoot_printsLabelsStatisticsAndCheckpointSha() throws Exception {
    CliRun r = run("inspect", "--model", root.toString());
    assertEquals(0, r.code(), r.err());
    String sha =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(FIXTURE.resolve("checkpoint_1001"))));
    assertTrue(r.out().contains("model: " + root.resolve("2")), r.out());
    assertTrue(r.out().contains("checkpoint_sha256: " + sha), r.out());
    assertTrue(r.out().contains("2: cat, wild"), r.out());
    assertTrue(r.out().contains("serving_bytes: {image_bytes=DT_STRING [-1]}"), r.out());
    assertTrue(r.out().contains("crop_fraction: 0.875"), r.out());
    assertTrue(r.out().matches("(?s).*parameters: [0-9,]+ \\([0-9]+ arrays\\).*"), r.out());
  }

  @Test
  void predict_folderWithTopKSmallBatchesXlaAndPlain_writesSameClassesAsCsvAndJson()
      throws Exception {
    Path csv = tmp.resolve("out/top.csv");
    Path json = tmp.resolve("out/top.json");
    CliRun a =
        run(
            "predict",
            "--model",
            root.toString(),
            "--input",
            images.toString(),
            "--top-k",
            "2",
            "--batch-size",
            "2",
            "--xla",
            "--output",
            csv.toString());
    assertEquals(0, a.code(), a.err());
    CliRun b =
        run(
            "predict",
            "--model",
            root.toString(),
            "--input",
            images.toString(),
            "--top-k",
            "2",
            "--batch-size",
            "5",
            "--quiet",
            "--output",
            json.toString());
    assertEquals(0, b.code(), b.err());
    List<String> rows = Files.readAllLines(csv);
    assertEquals("input,rank,class,label,probability", rows.get(0));
    assertEquals(1 + 5 * 2, rows.size());
    JsonArray doc = JsonParser.parseString(Files.readString(json)).getAsJsonArray();
    assertEquals(5, doc.size());
    for (int i = 0; i < 5; i++) {
      JsonArray top = doc.get(i).getAsJsonObject().getAsJsonArray("top_k");
      assertEquals("img" + i + ".png", doc.get(i).getAsJsonObject().get("input").getAsString());
      for (int k = 0; k < 2; k++) {
        String[] cells = rows.get(1 + i * 2 + k).split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
        int cls = top.get(k).getAsJsonObject().get("class").getAsInt();
        assertEquals(Integer.toString(cls), cells[2]);
        String label = LABELS.get(cls);
        assertEquals(label.contains(",") ? "\"" + label + "\"" : label, cells[3]);
        // Batch size 2 compiled (last batch padded) and 5 plain give the same probabilities.
        assertEquals(
            top.get(k).getAsJsonObject().get("probability").getAsFloat(),
            Float.parseFloat(cells[4]),
            1e-5);
      }
    }
    assertTrue(a.out().contains("img0.png  "), a.out());
  }

  @Test
  void train_imageFolderWithServingRoot_publishesVersionWithFolderLabels() throws Exception {
    Path data = tmp.resolve("folders");
    SplittableRandom rnd = new SplittableRandom(9);
    List<String> classes = new java.util.ArrayList<>();
    for (int c = 0; c < 10; c++) {
      String name = "class_" + (char) ('a' + c);
      classes.add(name);
      Path dir = Files.createDirectories(data.resolve(name));
      for (int i = 0; i < 10; i++) {
        BufferedImage img = new BufferedImage(20, 18, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 18; y++) {
          for (int x = 0; x < 20; x++) {
            img.setRGB(x, y, ((c * 25) << 16) | rnd.nextInt(256));
          }
        }
        ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
      }
    }
    String tiny = Files.readString(Path.of("../configs/tiny.yaml"));
    Path cfg = tmp.resolve("tiny2.yaml");
    Files.writeString(
        cfg,
        tiny.replace("num_training_steps: 600", "num_training_steps: 2")
            .replace("batch_size: 64", "batch_size: 8")
            .replace("eval_batch_size: 128", "eval_batch_size: 8"));
    Path trainRoot = tmp.resolve("trained");
    CliRun r =
        run(
            "train",
            "--config",
            cfg.toString(),
            "--workdir",
            tmp.resolve("work").toString(),
            "--data",
            data.toString(),
            "--serving-root",
            trainRoot.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().contains("serving version: " + trainRoot.toAbsolutePath().resolve("1")), r.out());
    assertEquals(
        String.join("\n", classes) + "\n",
        Files.readString(trainRoot.resolve("1/assets.extra/labels.txt")));
  }

  @Test
  void serve_servingRoot_answersStatusOfNewestVersionUntilInterrupted() throws Exception {
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(new StringWriter(), true));
    int[] code = {-1};
    Thread server =
        new Thread(() -> code[0] = cl.execute("serve", "--model", root.toString(), "--port", "0"));
    server.start();
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      java.util.regex.Pattern listening =
          java.util.regex.Pattern.compile("127\\.0\\.0\\.1:([0-9]+)/v1/models/tiny");
      java.util.regex.Matcher m = listening.matcher(out.toString());
      while (!m.find()) {
        assertTrue(System.nanoTime() < deadline && server.isAlive(), "no server: " + out);
        Thread.sleep(100);
        m = listening.matcher(out.toString());
      }
      java.net.http.HttpClient client =
          java.net.http.HttpClient.newBuilder()
              .connectTimeout(java.time.Duration.ofSeconds(5))
              .build();
      java.net.http.HttpResponse<String> r =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + m.group(1) + "/v1/models/tiny"))
                  .timeout(java.time.Duration.ofSeconds(10))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"version\":\"2\""), r.body());
    } finally {
      server.interrupt();
      server.join(30_000);
    }
    assertEquals(0, code[0]);
  }

  @Test
  void serveTarget_versionFolderAndName_followTheServingLayout() throws IOException {
    ServeCommand.Target t = ServeCommand.target(root, null);
    assertEquals(root.toAbsolutePath().resolve("2"), t.dir());
    assertEquals("tiny", t.name());
    assertEquals(2, t.version());
    ServeCommand.Target one = ServeCommand.target(root.resolve("1"), "other");
    assertEquals("other", one.name());
    assertEquals(1, one.version());
  }

  @Test
  void import_labelsOfWrongCount_isUserErrorNamingFile() throws IOException {
    Path labels = tmp.resolve("three.txt");
    Files.writeString(labels, "a\nb\nc\n");
    CliRun r =
        run(
            "import",
            "--checkpoint",
            FIXTURE.resolve("checkpoint_1001").toString(),
            "--config",
            FIXTURE.resolve("config.json").toString(),
            "--serving-root",
            tmp.resolve("never").toString(),
            "--labels",
            labels.toString());
    assertEquals(Main.EXIT_USER_ERROR, r.code(), r.err());
    assertTrue(r.err().contains("three.txt"), r.err());
    assertTrue(Files.notExists(tmp.resolve("never")));
  }
}
