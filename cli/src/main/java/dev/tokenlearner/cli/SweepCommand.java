package dev.tokenlearner.cli;

import dev.tokenlearner.cli.sweep.Sweep;
import dev.tokenlearner.cli.sweep.SweepPlan;
import dev.tokenlearner.cli.sweep.SweepRow;
import dev.tokenlearner.cli.sweep.SweepSettings;
import dev.tokenlearner.cli.sweep.SweepTable;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.TrainOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains the plain model and each TokenLearner placement; tabulates and plots the trade-off. */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = {
      "Train the config's plain ViT and a TokenLearner with each --tokens count at each"
          + " --locations block, with the same data, step budget and seed.",
      "Writes OUT/sweep.csv (name, num_tokens, tokenlearner_loc, gflops, accuracy, train_img_s,"
          + " inference_img_s) and OUT/pareto.png (accuracy vs GFLOPs, Pareto front drawn),"
          + " updated after every model; each model trains in OUT/<name>/. Rerunning skips"
          + " finished models and resumes an interrupted one; a rerun with another config,"
          + " --steps, --data or --fuser in the same OUT is refused."
    })
final class SweepCommand implements Callable<Integer> {

  @Mixin ConfigOption config;

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description = "Training data replacing the config's dataset (as for train --data).")
  Path data;

  @Option(
      names = "--eval-data",
      paramLabel = "FILE.npz",
      description = "Held-out arrays for .npz training data (as for train --eval-data).")
  Path evalData;

  @Option(
      names = "--tokens",
      split = ",",
      defaultValue = "8,16",
      paramLabel = "K",
      description = "Token counts to learn. Default: ${DEFAULT-VALUE}.")
  List<Integer> tokens = new ArrayList<>();

  @Option(
      names = "--locations",
      split = ",",
      defaultValue = "1/4,1/2,3/4",
      paramLabel = "LOC",
      description =
          "Where the TokenLearner goes: fractions of the depth (block round(f*num_layers)) or"
              + " block indices. Default: ${DEFAULT-VALUE}.")
  List<String> locations = new ArrayList<>();

  @Option(
      names = "--steps",
      paramLabel = "N",
      description =
          "Training steps of every model (schedule shortened to match). Default: the"
              + " config's.")
  Long steps;

  @Option(names = "--fuser", description = "TokenFuser after every block from the location on.")
  boolean fuser;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The sweep folder.")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter log = spec.commandLine().getOut();
    ExperimentConfig base = config.load();
    if (steps != null) {
      base = SweepPlan.withSteps(base, steps);
    }
    List<SweepPlan.Model> models =
        SweepPlan.models(
            base, tokens, SweepPlan.locations(locations, base.model().numLayers()), fuser);
    SweepSettings.of(base, Optional.ofNullable(data), Optional.ofNullable(evalData), fuser)
        .recordOrCheck(out);
    TrainOptions options = TrainOptions.defaults();
    if (evalData != null) {
      options = options.withEvalData(evalData);
    }
    List<SweepRow> rows = Sweep.run(models, out, Optional.ofNullable(data), options, log);
    log.printf(
        "wrote %s (%d models) and %s%n",
        out.resolve(SweepTable.CSV), rows.size(), out.resolve(Sweep.PARETO_PNG));
    log.flush();
    return 0;
  }
}
