package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.train.BuildTime;
import dev.tokenlearner.train.TrainStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Graph build time of the plain B/16 and L/16 models: the inference graph ({@link ModelGraph}) and
 * the trainer's step ({@link TrainStep}), each built once after one warm-up build of the smallest
 * graph, so the JIT's first compilations are not counted.
 */
final class GraphBuildBench {

  private GraphBuildBench() {}

  /** One build: the model, inference or training, ops and seconds. */
  record Row(String model, String graph, int ops, double seconds) {
    double secondsPerThousandOps() {
      return seconds * 1000 / ops;
    }
  }

  /** The rows, in the order built. */
  record Result(List<Row> rows) {
    Result {
      rows = List.copyOf(rows);
    }
  }

  static Result run(Consumer<String> say) {
    BenchConfig warm = BenchConfig.plain(ViTSize.TI, 16, 224);
    try (ModelGraph g =
        ModelGraph.build(warm.model(), warm.input(), Mode.INFERENCE, -1, Optional.empty())) {
      say.accept("graph build: warm-up " + g.opCount() + " ops");
    }
    List<Row> rows = new ArrayList<>();
    for (ViTSize size : List.of(ViTSize.B, ViTSize.L)) {
      BenchConfig c = BenchConfig.plain(size, 16, 224);
      BuildTime inference = BuildTime.inference(ModelRunner.experiment(c));
      rows.add(new Row(c.name(), "inference", inference.ops(), inference.seconds()));
      BuildTime training = BuildTime.training(ModelRunner.experiment(c));
      rows.add(new Row(c.name(), "training step", training.ops(), training.seconds()));
      say.accept(
          String.format(
              Locale.ROOT,
              "graph build %s: inference %d ops in %.2f s, training %d ops in %.2f s",
              c.name(),
              inference.ops(),
              inference.seconds(),
              training.ops(),
              training.seconds()));
    }
    return new Result(rows);
  }
}
