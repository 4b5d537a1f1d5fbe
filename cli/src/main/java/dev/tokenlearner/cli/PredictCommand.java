package dev.tokenlearner.cli;

import dev.tokenlearner.export.Predict;
import dev.tokenlearner.ops.HostArray;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs a SavedModel on a .npy batch or on image files and writes the output as .npy. */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description = "Run an exported SavedModel on a .npy batch (float32, C order) or image files; write the output as .npy.")
final class PredictCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "SavedModel directory.")
  Path model;

  @Option(names = "--input", required = true, paramLabel = "FILE|DIR",
      description = "A .npy batch (NHWC, or NTHWC for video), an image file, or a directory of images.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "The .npy file to write.")
  Path output;

  @Option(names = "--signature", defaultValue = "serving_default",
      description = "Signature to run: serving_default (logits), representation, encoded, learned_tokens. Default: ${DEFAULT-VALUE}.")
  String signature;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    HostArray out = Predict.run(model, input, output, signature);
    spec.commandLine().getOut().printf("wrote %s %s%n", output, out.shapeString());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
