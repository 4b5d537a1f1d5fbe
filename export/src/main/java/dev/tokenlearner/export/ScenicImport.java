package dev.tokenlearner.export;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.TokenGrid;
import dev.tokenlearner.export.savedmodel.ExportResult;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.weights.ImportOptions;
import dev.tokenlearner.weights.ImportPlan;
import dev.tokenlearner.weights.WeightImporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The import pipeline behind {@code tokenlearner import}: a Scenic checkpoint plus its config
 * become a SavedModel.
 *
 * <ol>
 *   <li>the config is loaded with {@link ConfigLoader} (YAML or JSON, Scenic's keys);
 *   <li>the checkpoint (msgpack file, Orbax directory, ViT {@code .npz}, or a directory of {@code
 *       checkpoint_<step>} entries) is read with {@link Checkpoints#read};
 *   <li>the inference graph is built, {@link WeightImporter} assigns the weights by Flax path under
 *       {@link ImportOptions}, and {@link SavedModelExporter} writes the model atomically with the
 *       config text stored beside it.
 * </ol>
 */
public final class ScenicImport {

  private ScenicImport() {}

  /**
   * Imports a checkpoint into a SavedModel.
   *
   * @param checkpoint a checkpoint file or directory
   * @param config the experiment config (YAML or JSON) the checkpoint was trained with
   * @param out the SavedModel directory to create
   * @param options how strictly the checkpoint must match the model
   * @param overwrite whether an existing {@code out} may be replaced
   * @return what was imported and written
   * @throws FileAlreadyExistsException if {@code out} exists and {@code overwrite} is false
   * @throws dev.tokenlearner.weights.CheckpointMismatchException listing every missing, unexpected
   *     and wrongly shaped parameter; nothing is written
   * @throws IOException if the checkpoint or config cannot be read or the model cannot be written
   * @throws IllegalArgumentException if the config is invalid
   */
  public static ImportSummary run(
      Path checkpoint, Path config, Path out, ImportOptions options, boolean overwrite)
      throws IOException {
    return run(checkpoint, config, out, options, overwrite, List.of());
  }

  /**
   * Imports a checkpoint into a SavedModel that records class names.
   *
   * @param checkpoint a checkpoint file or directory
   * @param config the experiment config (YAML or JSON) the checkpoint was trained with
   * @param out the SavedModel directory to create
   * @param options how strictly the checkpoint must match the model
   * @param overwrite whether an existing {@code out} may be replaced
   * @param labels class names in class order, or empty
   * @return what was imported and written
   * @throws FileAlreadyExistsException if {@code out} exists and {@code overwrite} is false
   * @throws IOException if the checkpoint or config cannot be read or the model cannot be written
   * @throws IllegalArgumentException if the config is invalid or the label count is wrong
   */
  public static ImportSummary run(
      Path checkpoint,
      Path config,
      Path out,
      ImportOptions options,
      boolean overwrite,
      List<String> labels)
      throws IOException {
    return run(
        checkpoint,
        ConfigLoader.load(config),
        Files.readString(config, StandardCharsets.UTF_8),
        out,
        options,
        overwrite,
        labels);
  }

  /**
   * Imports a checkpoint into a SavedModel, with the config already loaded (e.g. a bundled one).
   *
   * @param checkpoint a checkpoint file or directory
   * @param cfg the experiment config the checkpoint was trained with
   * @param configText the config's YAML/JSON text, stored in the export
   * @param out the SavedModel directory to create
   * @param options how strictly the checkpoint must match the model
   * @param overwrite whether an existing {@code out} may be replaced
   * @param labels class names in class order, or empty
   * @return what was imported and written
   * @throws FileAlreadyExistsException if {@code out} exists and {@code overwrite} is false
   * @throws IOException if the checkpoint cannot be read or the model cannot be written
   * @throws IllegalArgumentException if the label count is wrong
   */
  public static ImportSummary run(
      Path checkpoint,
      ExperimentConfig cfg,
      String configText,
      Path out,
      ImportOptions options,
      boolean overwrite,
      List<String> labels)
      throws IOException {
    if (Files.exists(out) && !overwrite) {
      throw new FileAlreadyExistsException(
          out.toString(), null, "already exists; pass overwrite to replace it");
    }
    String text = configText;
    Checkpoint ckpt = Checkpoints.read(checkpoint);
    TokenGrid grid = cfg.tokenGrid();

    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("checkpoint", ckpt.source().toString());
    provenance.put("checkpoint_sha256", FileDigest.sha256(ckpt.source()));
    provenance.put("checkpoint_format", ckpt.format());
    provenance.put("checkpoint_layout", ckpt.layout());
    ckpt.step().ifPresent(s -> provenance.put("checkpoint_step", Long.toString(s)));
    provenance.put("import_options", options.toString());
    ExportSpec spec =
        ExportSpec.of(cfg, Optional.of(text)).withProvenance(provenance).withLabels(labels);

    AtomicReference<ImportPlan> plan = new AtomicReference<>();
    ExportResult result =
        SavedModelExporter.of(spec)
            .overwrite(overwrite)
            .export(
                out,
                (session, store) ->
                    plan.set(WeightImporter.load(session, store, grid, ckpt, options)));
    ImportPlan p = plan.get();
    return new ImportSummary(
        result,
        ckpt.format(),
        ckpt.layout(),
        ckpt.step(),
        p.fresh(),
        p.ignored(),
        p.adapted(),
        p.warnings());
  }
}
