package dev.tokenlearner.cli;

import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.export.serving.RestServer;
import dev.tokenlearner.export.serving.TokenLearnerPredictor;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
      "  GET  /v1/models/NAME/metadata   signatures and labels",
      "  POST /v1/models/NAME:predict    {\"instances\": [{\"b64\": \"<JPEG/PNG base64>\"}, ...]}"
          + " or preprocessed number arrays",
      "Runs until stopped (Ctrl-C)."
    })
final class ServeCommand implements Callable<Integer> {

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
      defaultValue = "4",
      paramLabel = "N",
      description = "Request threads sharing the one session. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path dir = ServingRoot.resolveModel(model);
    boolean isRoot = !dir.equals(model);
    Path root = (isRoot ? model : dir).toAbsolutePath().normalize();
    String modelName = name != null ? name : root.getFileName().toString();
    long version = isRoot ? Long.parseLong(dir.getFileName().toString()) : 1;
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    try (TokenLearnerPredictor predictor = TokenLearnerPredictor.load(dir);
        RestServer server =
            RestServer.start(
                predictor, modelName, version, new InetSocketAddress(host, port), threads)) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      out.printf(
          "serving %s (version %d) at http://%s:%d/v1/models/%s%n",
          dir, version, host, server.address().getPort(), modelName);
      out.flush();
      stopped.await();
    }
    return 0;
  }
}
