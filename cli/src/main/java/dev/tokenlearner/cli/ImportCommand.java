package dev.tokenlearner.cli;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.core.MissingFileException;
import dev.tokenlearner.export.ImportSummary;
import dev.tokenlearner.export.Labels;
import dev.tokenlearner.export.ScenicImport;
import dev.tokenlearner.export.savedmodel.ServingRoot;
import dev.tokenlearner.weights.ImportOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Imports a Scenic (Flax/Orbax) or ViT .npz checkpoint and exports it as a SavedModel. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description =
        "Import a Scenic checkpoint (Flax msgpack, Orbax Zarr/OCDBT, or ViT .npz) and export a SavedModel.")
final class ImportCommand implements Callable<Integer> {

  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "FILE|DIR",
      description =
          "checkpoint_<step> file, a workdir (latest step is taken), an Orbax checkpoint directory, or a ViT .npz.")
  Path checkpoint;

  @Mixin ConfigOption config;

  @Option(names = "--out", paramLabel = "DIR", description = "SavedModel directory to create.")
  Path out;

  @Option(
      names = "--serving-root",
      paramLabel = "DIR",
      description =
          "Instead of --out: write DIR/<version>/ with the next version number (TF Serving's layout), atomically.")
  Path servingRoot;

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description =
          "Class names, one per line in class order; stored in the export (assets.extra/labels.txt).")
  Path labels;

  @Option(names = "--overwrite", description = "Replace an existing SavedModel at --out.")
  boolean overwrite;

  @Option(
      names = "--drop-head",
      description = "Keep a fresh output_projection instead of the checkpoint's (fine-tuning).")
  boolean dropHead;

  @Option(
      names = "--resize-posemb",
      description = "Resize pos_embedding to the config's token grid (bilinear, as Scenic).")
  boolean resizePosEmbedding;

  @Option(
      names = "--init-from-vit",
      description =
          "Initialise a TokenLearner model from a plain ViT checkpoint: TokenLearner/TokenFuser weights start fresh, cls and pre_logits are dropped, pos_embedding is resized.")
  boolean initFromVit;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ImportOptions options = initFromVit ? ImportOptions.initFromVit() : ImportOptions.strict();
    options = options.withDropHead(dropHead || options.dropHead());
    options = options.withResizePosEmbedding(resizePosEmbedding || options.resizePosEmbedding());
    if ((out == null) == (servingRoot == null)) {
      throw new InvalidInputException("give exactly one of --out DIR and --serving-root DIR");
    }
    if (servingRoot != null && overwrite) {
      throw new InvalidInputException(
          "--overwrite applies to --out; --serving-root always adds a version");
    }
    // Everything the user named is checked before the (slow) import starts.
    MissingFileException.requireExists(checkpoint);
    if (labels != null) {
      MissingFileException.requireExists(labels);
    }
    if (out != null && Files.exists(out) && !overwrite) {
      throw new InvalidInputException(
          out + " already exists; add --overwrite to replace it, or give another --out");
    }
    ExperimentConfig cfg = config.load();
    List<String> names = labels == null ? List.of() : Labels.read(labels, cfg.numClasses());
    Path target = out != null ? out : ServingRoot.nextVersion(servingRoot);
    ImportSummary s =
        ScenicImport.run(checkpoint, cfg, config.text(), target, options, overwrite, names);
    PrintWriter w = spec.commandLine().getOut();
    w.printf(
        "read %s (%s, layout %s%s)%n",
        checkpoint,
        s.checkpointFormat(),
        s.checkpointLayout(),
        s.step().isPresent() ? ", step " + s.step().getAsLong() : "");
    s.adapted().forEach(p -> w.println("adapted: " + p));
    s.ignored().forEach(p -> w.println("ignored: " + p));
    s.fresh().forEach(p -> w.println("fresh: " + p));
    s.warnings().forEach(p -> w.println("warning: " + p));
    w.println("wrote SavedModel " + s.export().directory());
    w.flush();
    return 0;
  }
}
