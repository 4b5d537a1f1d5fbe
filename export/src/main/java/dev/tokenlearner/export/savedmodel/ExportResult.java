package dev.tokenlearner.export.savedmodel;

import java.nio.file.Path;

/**
 * What an export wrote.
 *
 * @param directory the SavedModel directory
 * @param metadata what was stored in {@code assets.extra/tokenlearner_config.yaml}
 * @param parameterTensors number of variables saved
 * @param parameterCount number of float values over all variables
 */
public record ExportResult(
    Path directory, ModelMetadata metadata, int parameterTensors, long parameterCount) {}
