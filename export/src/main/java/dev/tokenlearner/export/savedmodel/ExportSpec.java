package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.ModelName;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.InvalidInputException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What to export: the model, the input it is built for, preprocessing, and what to record about
 * where it came from.
 *
 * @param modelName Scenic's {@code model_name}
 * @param model the model config
 * @param input input size, frames and classes; fixes {@code images}' shape
 * @param normalization how pixels are normalised for this model (stored for {@code predict})
 * @param sourceConfig the original config file text, stored verbatim when present
 * @param provenance free-form facts stored with the model (checkpoint path, format, step, ...)
 * @param labels class names in class order, or empty when unknown
 */
public record ExportSpec(
    String modelName,
    ModelConfig model,
    InputSpec input,
    Normalization normalization,
    Optional<String> sourceConfig,
    Map<String, String> provenance,
    List<String> labels) {

  /** Validates and copies the fields. */
  public ExportSpec {
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(normalization, "normalization");
    Objects.requireNonNull(sourceConfig, "sourceConfig");
    provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    labels = List.copyOf(labels);
    if (!labels.isEmpty() && labels.size() != input.numClasses()) {
      throw new InvalidInputException(
          labels.size()
              + " class labels given for a model with "
              + input.numClasses()
              + " classes");
    }
  }

  /**
   * The spec of an experiment config; normalisation from {@link Normalization#of}.
   *
   * @param config the loaded config
   * @param sourceText the config file's text, or empty
   * @return the spec, with {@code config_source} in its provenance
   */
  public static ExportSpec of(ExperimentConfig config, Optional<String> sourceText) {
    return new ExportSpec(
        config.modelName().scenicName(),
        config.model(),
        config.input(),
        Normalization.of(config),
        sourceText,
        Map.of("config_source", config.source()),
        List.of());
  }

  /**
   * A spec built in code: classification model, zero-centred inputs, no source text.
   *
   * @param model the model config
   * @param input the input spec (with the number of classes)
   * @return the spec
   */
  public static ExportSpec of(ModelConfig model, InputSpec input) {
    return new ExportSpec(
        ModelName.CLASSIFICATION.scenicName(),
        model,
        input,
        Normalization.ZERO_CENTERED,
        Optional.empty(),
        Map.of(),
        List.of());
  }

  /**
   * Returns a copy with more provenance entries (later ones win).
   *
   * @param more entries to add
   * @return the copy
   */
  public ExportSpec withProvenance(Map<String, String> more) {
    Map<String, String> p = new LinkedHashMap<>(provenance);
    p.putAll(more);
    return new ExportSpec(modelName, model, input, normalization, sourceConfig, p, labels);
  }

  /**
   * Returns a copy with class names.
   *
   * @param names one per class, in class order (empty: unknown)
   * @return the copy
   * @throws IllegalArgumentException if the count is not the number of classes
   */
  public ExportSpec withLabels(List<String> names) {
    return new ExportSpec(modelName, model, input, normalization, sourceConfig, provenance, names);
  }
}
