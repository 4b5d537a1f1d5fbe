package dev.tokenlearner.export;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ExportResult;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a finished training run leaves in its workdir besides checkpoints: the SavedModel of the
 * final parameters and a held-out sample to try {@code predict} on. The trainer hands the
 * parameters back; its caller (the CLI) writes them here, so training needs no export code.
 */
public final class WorkdirExport {
  private static final Logger LOG = LoggerFactory.getLogger(WorkdirExport.class);

  /** The exported SavedModel inside the workdir. */
  public static final String SAVED_MODEL_DIR = "saved_model";

  /** Held-out examples written beside the SavedModel, to try {@code predict} on. */
  public static final String SAMPLE_NPY = "held_out_sample.npy";

  /** The labels of {@link #SAMPLE_NPY}, as float32 class indices. */
  public static final String SAMPLE_LABELS_NPY = "held_out_sample_labels.npy";

  private WorkdirExport() {}

  /**
   * Exports {@code <workdir>/saved_model} (replacing an older one) with the config's text and the
   * checkpoint's digest as provenance, and writes the sample beside it.
   *
   * @param cfg the trained experiment
   * @param workdir the run's workdir
   * @param params the final parameters, by Flax path
   * @param checkpoint the checkpoint holding them, if one was written
   * @param labels class names to travel with the model, or empty
   * @param sampleImages held-out examples as the model sees them, {@code [n, ...]}; none when
   *     {@code n} is 0
   * @param sampleLabels their class indices {@code [n]}
   * @return the SavedModel directory
   * @throws IOException if the model or the sample cannot be written
   */
  public static Path write(
      ExperimentConfig cfg,
      Path workdir,
      Map<String, HostArray> params,
      Optional<Path> checkpoint,
      List<String> labels,
      HostArray sampleImages,
      HostArray sampleLabels)
      throws IOException {
    Optional<String> text = Optional.empty();
    Path source = Path.of(cfg.source());
    if (Files.isRegularFile(source)) {
      text = Optional.of(Files.readString(source, StandardCharsets.UTF_8));
    }
    ExportSpec spec = ExportSpec.of(cfg, text);
    if (checkpoint.isPresent()) {
      spec =
          spec.withProvenance(
              Map.of(
                  "checkpoint",
                  checkpoint.get().toString(),
                  "checkpoint_sha256",
                  FileDigest.sha256(checkpoint.get())));
    }
    if (!labels.isEmpty()) {
      spec = spec.withLabels(labels);
    }
    ExportResult r =
        SavedModelExporter.of(spec)
            .overwrite(true)
            .export(workdir.resolve(SAVED_MODEL_DIR), params);
    LOG.info("exported SavedModel to {} ({} tensors)", r.directory(), r.parameterTensors());
    if (sampleLabels.shape()[0] > 0) {
      Npy.write(workdir.resolve(SAMPLE_NPY), sampleImages);
      Npy.write(workdir.resolve(SAMPLE_LABELS_NPY), sampleLabels);
    }
    return r.directory();
  }
}
