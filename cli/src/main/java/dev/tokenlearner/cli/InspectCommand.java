package dev.tokenlearner.cli;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.savedmodel.ModelMetadata;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.flops.FlopCounter;
import dev.tokenlearner.graph.flops.FlopReport;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.train.BuildTime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Prints a config's parameter tree, parameter count and FLOPs with and without TokenLearner, or an
 * exported model's metadata.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Print a config's parameter tree, parameter count and GFLOPs, or an exported model's metadata.",
      "--config: print the parameter tree (Flax paths and shapes), parameter count, and GFLOPs with and without the TokenLearner.",
      "--model: print an exported model's signatures, input, preprocessing, labels, parameters, FLOPs and provenance (source checkpoint and its SHA-256)."
    })
final class InspectCommand implements Callable<Integer> {

  @Option(
      names = {"-c", "--config"},
      paramLabel = "CONFIG",
      description = "Config file (.yaml/.json, Scenic keys) or bundled name (see train --help).")
  String config;

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description = "An exported SavedModel directory, or a serving root (its newest version).")
  Path model;

  @Option(names = "--layers", description = "Also print the per-layer FLOP table.")
  boolean layers;

  @Option(names = "--unused", description = "Also list config keys this toolkit does not read.")
  boolean unused;

  @Option(
      names = "--build-time",
      description =
          "Only time building the inference graph and the training step's graph (model, loss,"
              + " gradients, clipping, optimizer); prints two lines.")
  boolean buildTime;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if ((config == null) == (model == null)) {
      throw new InvalidInputException("give exactly one of --config CONFIG and --model DIR");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (model != null) {
      printModel(out);
      out.flush();
      return 0;
    }
    ExperimentConfig cfg = ConfigOption.of(config).load();
    if (buildTime) {
      BuildTime inference = BuildTime.inference(cfg);
      out.printf(
          Locale.ROOT, "build inference: %d ops in %.2f s%n", inference.ops(), inference.seconds());
      BuildTime training = BuildTime.training(cfg);
      out.printf(
          Locale.ROOT, "build training: %d ops in %.2f s%n", training.ops(), training.seconds());
      out.flush();
      return 0;
    }
    Map<String, long[]> tree;
    long count;
    try (ModelGraph graph = ModelGraph.build(cfg, Mode.INFERENCE, -1)) {
      tree = graph.store().shapes();
      count = graph.store().parameterCount();
    }
    out.printf(Locale.ROOT, "config: %s%n", cfg.source());
    out.printf(
        Locale.ROOT,
        "input: %s, %d classes%n",
        Arrays.toString(cfg.input().shape(-1)),
        cfg.numClasses());
    int width = tree.keySet().stream().mapToInt(String::length).max().orElse(10);
    out.println();
    tree.forEach(
        (path, shape) ->
            out.printf(Locale.ROOT, "%-" + width + "s  %s%n", path, Arrays.toString(shape)));
    FlopReport report = FlopCounter.count(cfg);
    out.println();
    out.printf(Locale.ROOT, "parameters: %,d (%d arrays)%n", count, tree.size());
    out.printf(
        Locale.ROOT,
        "GFLOPs per example: %.3f (plain ViT of the same dims: %.3f), ratio %.3f%n",
        report.gflops(),
        report.plainFlops() / 1e9,
        report.flopRatio());
    if (layers) {
      out.println();
      out.print(report.format());
    }
    cfg.warnings().forEach(w -> out.println("warning: " + w));
    if (unused) {
      out.println();
      out.println("unused keys:");
      cfg.unusedKeys().forEach(k -> out.println("  " + k));
    }
    out.flush();
    return 0;
  }

  private void printModel(PrintWriter out) throws java.io.IOException {
    Path dir = ServingRoot.resolveModel(model);
    out.printf("model: %s%n", dir);
    try (ServingModel m = ServingModel.load(dir)) {
      out.println("signatures:");
      for (String key : m.signatures()) {
        out.printf("  %s: %s -> %s%n", key, m.signatureInputs(key), m.signatureOutputs(key));
      }
      if (m.metadata().isEmpty()) {
        out.println(
            "no tokenlearner metadata (assets.extra/tokenlearner_config.yaml) in this model");
        return;
      }
      ModelMetadata meta = m.metadata().get();
      out.printf("model_name: %s%n", meta.modelName());
      out.printf(
          Locale.ROOT,
          "input: %s, %d classes%n",
          Arrays.toString(meta.input().shape(-1)),
          meta.input().numClasses());
      out.println("preprocessing:");
      meta.preprocessing().toMap().forEach((k, v) -> out.printf("  %s: %s%n", k, v));
      meta.statistics()
          .ifPresent(
              st -> {
                out.printf(
                    Locale.ROOT,
                    "parameters: %,d (%d arrays)%n",
                    st.parameters(),
                    st.parameterArrays());
                out.printf(
                    Locale.ROOT,
                    "GFLOPs per example: %.3f (plain ViT of the same dims: %.3f)%n",
                    st.gflops(),
                    st.plainVitGflops());
              });
      out.println("provenance:");
      meta.provenance().forEach((k, v) -> out.printf("  %s: %s%n", k, v));
      if (meta.labels().isEmpty()) {
        out.println("labels: none recorded (classes are named by index)");
      } else {
        out.printf("labels (%d):%n", meta.labels().size());
        for (int i = 0; i < meta.labels().size(); i++) {
          out.printf("  %d: %s%n", i, meta.labels().get(i));
        }
      }
      out.println("resolved_config:");
      out.print(meta.resolvedConfigYaml().indent(2));
    }
  }
}
