package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} in its own process: SIGTERM lets the request in flight finish before exiting. */
class ServeShutdownProcessTest {

  private static final Path FIXTURE =
      Path.of(System.getProperty("tokenlearner.testdata", "../testdata"))
          .resolve("fixtures/tiny_v11");
  private static final long TIMEOUT_S = 120;
  private static final Pattern LISTENING = Pattern.compile("127\\.0\\.0\\.1:([0-9]+)/v1/models/");

  @TempDir Path tmp;

  private static String headers(byte[] body) {
    return "POST /v1/models/tiny:predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
        + body.length
        + "\r\nConnection: close\r\n\r\n";
  }

  /** One 16x16x3 instance of zeros, the fixture's input shape. */
  private static byte[] zeros() {
    String pixel = "[0, 0, 0]";
    String row = "[" + String.join(", ", Collections.nCopies(16, pixel)) + "]";
    String image = "[" + String.join(", ", Collections.nCopies(16, row)) + "]";
    return ("{\"instances\": [" + image + "]}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void sigterm_letsRequestInFlightFinishThenExits() throws Exception {
    Path model = tmp.resolve("tiny");
    int imported =
        Main.commandLine()
            .setOut(new PrintWriter(new StringWriter()))
            .execute(
                "import",
                "--checkpoint",
                FIXTURE.resolve("checkpoint_1001").toString(),
                "--config",
                FIXTURE.resolve("config.json").toString(),
                "--out",
                model.toString());
    assertEquals(0, imported);
    Path log = tmp.resolve("serve.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path")));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of("serve", "--model", model.toString(), "--port", "0", "--threads", "2"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
      Matcher m = LISTENING.matcher("");
      while (!m.find()) {
        assertTrue(System.nanoTime() < deadline && p.isAlive(), () -> "no server: " + read(log));
        Thread.sleep(100);
        m = LISTENING.matcher(read(log));
      }
      int port = Integer.parseInt(m.group(1));
      byte[] body = zeros();
      try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), port)) {
        raw.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        OutputStream out = raw.getOutputStream();
        // Everything but the body's last byte: the handler waits for it.
        out.write(headers(body).getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, body.length - 1);
        out.flush();
        Thread.sleep(3000);
        p.destroy(); // SIGTERM
        Thread.sleep(1000);
        assertTrue(p.isAlive(), () -> "exited with a request in flight: " + read(log));
        out.write(body, body.length - 1, 1);
        out.flush();
        String answer = new String(raw.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        assertTrue(answer.contains("\"predictions\""), answer);
      }
      assertTrue(p.waitFor(TIMEOUT_S, TimeUnit.SECONDS), () -> "still running: " + read(log));
    } finally {
      p.destroyForcibly();
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
