package dev.tokenlearner.train;

import dev.tokenlearner.core.HostArray;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a run that reached its last step hands its caller to export: the final parameters, where
 * they were checkpointed, the class names the data carries and a held-out sample.
 *
 * @param params the final parameters, by Flax path
 * @param checkpoint the newest checkpoint this run wrote, if any
 * @param labels class names (image folders, shapes), or empty when the data has none that fit
 * @param sampleImages the first held-out examples as the model sees them, {@code [n, ...]}
 * @param sampleLabels their class indices as float32 {@code [n]}
 */
public record FinalModel(
    Map<String, HostArray> params,
    Optional<Path> checkpoint,
    List<String> labels,
    HostArray sampleImages,
    HostArray sampleLabels) {

  /** Copies the map and list. */
  public FinalModel {
    params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    labels = List.copyOf(labels);
  }
}
