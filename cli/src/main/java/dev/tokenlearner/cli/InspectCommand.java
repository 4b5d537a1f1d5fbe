package dev.tokenlearner.cli;

import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.config.ExperimentConfig;
import dev.tokenlearner.graph.flops.FlopCounter;
import dev.tokenlearner.graph.flops.FlopReport;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.train.BuildTime;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints a config's parameter tree, parameter count and FLOPs with and without TokenLearner. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Print the parameter tree (Flax paths and shapes), parameter count, and GFLOPs with and without the TokenLearner.")
final class InspectCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

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
    ExperimentConfig cfg = config.load();
    PrintWriter out = spec.commandLine().getOut();
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
    try (ModelGraph model = ModelGraph.build(cfg, Mode.INFERENCE, -1)) {
      tree = model.store().shapes();
      count = model.store().parameterCount();
    }
    out.printf(Locale.ROOT, "config: %s%n", cfg.source());
    out.printf(Locale.ROOT, "input: %s, %d classes%n", Arrays.toString(cfg.input().shape(-1)), cfg.numClasses());
    int width = tree.keySet().stream().mapToInt(String::length).max().orElse(10);
    out.println();
    tree.forEach((path, shape) -> out.printf(Locale.ROOT, "%-" + width + "s  %s%n", path, Arrays.toString(shape)));
    FlopReport report = FlopCounter.count(cfg);
    out.println();
    out.printf(Locale.ROOT, "parameters: %,d (%d arrays)%n", count, tree.size());
    out.printf(Locale.ROOT, "GFLOPs per example: %.3f (plain ViT of the same dims: %.3f), ratio %.3f%n",
        report.gflops(), report.plainFlops() / 1e9, report.flopRatio());
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
}
