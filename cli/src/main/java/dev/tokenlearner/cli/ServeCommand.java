package dev.tokenlearner.cli;

import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.export.serving.BatchingOptions;
import dev.tokenlearner.export.serving.RestServer;
import dev.tokenlearner.export.serving.ServerOptions;
import dev.tokenlearner.export.serving.TokenLearnerPredictor;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Serves an exported model over HTTP with TF Serving's REST API. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a SavedModel over HTTP with TF Serving's REST API (one shared session).",
      "  GET  /v1/models/NAME            version status",
      "  GET  /v1/models/NAME/metadata   signatures (TF Serving's schema) and labels",
      "  POST /v1/models/NAME:predict    {\"instances\": [{\"b64\": \"<JPEG/PNG base64>\"}, ...]}"
          + " or preprocessed number arrays",
      "  GET  /healthz                   200 while serving",
      "Runs until stopped (Ctrl-C, SIGTERM); requests in flight then finish first."
    })
final class ServeCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "A serving root (its newest version is served) or a SavedModel directory.")
  Path model;

  @Option(
      names = "--port",
      defaultValue = "8501",
      paramLabel = "P",
      description =
          "TCP port; 0 picks a free one. Default: ${DEFAULT-VALUE} (TF Serving's REST port).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      paramLabel = "ADDR",
      description = "Address to bind; 0.0.0.0 for every interface. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Model name in URLs. Default: the serving root's folder name.")
  String name;

  @Option(
      names = "--threads",
      defaultValue = "" + ServerOptions.THREADS_DEFAULT,
      paramLabel = "N",
      description = "Request threads sharing the one session. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "" + ServerOptions.MAX_BODY_BYTES_DEFAULT,
      paramLabel = "B",
      description =
          "Larger request bodies are answered 413. Default: ${DEFAULT-VALUE} (256 MiB: a batch of"
              + " 64 preprocessed 224x224 images as JSON numbers).")
  long maxBodyBytes;

  @Option(
      names = "--drain-seconds",
      defaultValue = "30",
      paramLabel = "S",
      description =
          "On shutdown, how long requests in flight may take to finish. Default: ${DEFAULT-VALUE}.")
  long drainSeconds;

  @Option(
      names = "--enable-batching",
      description =
          "Merge concurrent predict requests for the same signature into one session run, as TF"
              + " Serving's --enable_batching.")
  boolean enableBatching;

  @Option(
      names = "--max-batch-size",
      defaultValue = "" + BatchingOptions.MAX_BATCH_SIZE_DEFAULT,
      paramLabel = "N",
      description = "With batching: most examples in one merged run. Default: ${DEFAULT-VALUE}.")
  int maxBatchSize;

  @Option(
      names = "--batch-timeout-micros",
      defaultValue = "2000",
      paramLabel = "US",
      description =
          "With batching: how long the first request of a batch waits for others."
              + " Default: ${DEFAULT-VALUE}.")
  long batchTimeoutMicros;

  @Option(
      names = "--num-batch-threads",
      paramLabel = "N",
      description = "With batching: merged runs at once. Default: one per processor.")
  Integer numBatchThreads;

  @Option(
      names = "--xla",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Run the forward pass XLA-compiled (the default; each new batch shape compiles once, about"
              + " 3 s for Ti/16 on two cores); --no-xla runs the plain TensorFlow graph.")
  boolean xla;

  @Spec CommandSpec spec;

  /** What is served: the SavedModel directory, the model name in URLs and the version. */
  record Target(Path dir, String name, long version) {}

  /**
   * Resolves {@code --model} and {@code --name}: a serving root serves its newest version under the
   * root's folder name; a numbered version folder serves under its parent's name; any other
   * SavedModel is version 1 under its own folder name.
   */
  static Target target(Path model, String name) throws IOException {
    Path dir = ServingRoot.resolveModel(model).toAbsolutePath().normalize();
    String folder = dir.getFileName().toString();
    boolean numbered = folder.matches("[0-9]{1,18}") && dir.getParent() != null;
    String defaultName = numbered ? dir.getParent().getFileName().toString() : folder;
    return new Target(
        dir, name != null ? name : defaultName, numbered ? Long.parseLong(folder) : 1);
  }

  @Override
  public Integer call() throws Exception {
    Target t = target(model, name);
    ServerOptions options =
        ServerOptions.defaults()
            .withThreads(threads)
            .withMaxBodyBytes(maxBodyBytes)
            .withDrainTimeout(Duration.ofSeconds(drainSeconds));
    if (enableBatching) {
      options =
          options.withBatching(
              new BatchingOptions(
                  maxBatchSize,
                  Duration.ofNanos(Math.multiplyExact(batchTimeoutMicros, 1000L)),
                  numBatchThreads != null
                      ? numBatchThreads
                      : BatchingOptions.defaults().threads()));
    }
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    // SIGTERM/Ctrl-C: the JVM exits once the hooks return, so the hook waits for the server to
    // drain and the model to close.
    Thread hook =
        new Thread(
            () -> {
              stopped.countDown();
              try {
                closed.await(drainSeconds + 30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    Runtime.getRuntime().addShutdownHook(hook);
    LOG.info(
        xla
            ? "forward pass: XLA-compiled (default for serving: a long-running server repays each"
                + " batch shape's one-off compilation; --no-xla runs the plain graph)"
            : "forward pass: plain TensorFlow graph (--no-xla)");
    try (TokenLearnerPredictor predictor =
            TokenLearnerPredictor.load(t.dir(), ServingModel.CHUNK_SIZE_DEFAULT, xla);
        RestServer server =
            RestServer.start(
                predictor, t.name(), t.version(), new InetSocketAddress(host, port), options)) {
      out.printf(
          "serving %s (version %d) at http://%s:%d/v1/models/%s%s%n",
          t.dir(),
          t.version(),
          host,
          server.address().getPort(),
          t.name(),
          options
              .batching()
              .map(
                  b ->
                      " with batching (max "
                          + b.maxBatchSize()
                          + ", timeout "
                          + b.timeout().toNanos() / 1000
                          + " us, "
                          + b.threads()
                          + " threads)")
              .orElse(""));
      out.flush();
      stopped.await();
    } catch (InterruptedException e) {
      // Stopped by the embedding application rather than by a signal.
      Thread.currentThread().interrupt();
    } finally {
      closed.countDown();
      if (stopped.getCount() > 0) {
        Runtime.getRuntime().removeShutdownHook(hook);
      }
    }
    return 0;
  }
}
