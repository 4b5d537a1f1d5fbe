package dev.tokenlearner.cli;

import dev.tokenlearner.graph.TokenLearnerViT;
import dev.tokenlearner.graph.config.ExperimentConfig;
import dev.tokenlearner.graph.flops.FlopCounter;
import dev.tokenlearner.graph.flops.FlopReport;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.ops.PathScope;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
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

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ExperimentConfig cfg = config.load();
    PrintWriter out = spec.commandLine().getOut();
    Map<String, long[]> tree;
    long count;
    try (Graph g = new Graph()) {
      Ops tf = PathScope.create(g);
      var images = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(cfg.input().shape(-1))));
      ParameterStore store = new ParameterStore(tf);
      TokenLearnerViT.build(ModuleScope.root(store), cfg.model(), cfg.numClasses(), images, Mode.INFERENCE);
      tree = store.shapes();
      count = store.parameterCount();
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
