package dev.tokenlearner.export;

import dev.tokenlearner.export.savedmodel.ExportResult;
import java.util.List;
import java.util.OptionalLong;

/**
 * What {@link ScenicImport#run} did.
 *
 * @param export the SavedModel written
 * @param checkpointFormat the checkpoint's on-disk form (e.g. {@code flax-msgpack})
 * @param checkpointLayout where the parameters were found (e.g. {@code params})
 * @param step the checkpoint's global step, when recorded
 * @param fresh parameters left at fresh initial values
 * @param ignored checkpoint parameters not used
 * @param adapted checkpoint parameters changed on the way in
 * @param warnings conditions worth a look
 */
public record ImportSummary(
    ExportResult export,
    String checkpointFormat,
    String checkpointLayout,
    OptionalLong step,
    List<String> fresh,
    List<String> ignored,
    List<String> adapted,
    List<String> warnings) {

  /** Copies the lists. */
  public ImportSummary {
    fresh = List.copyOf(fresh);
    ignored = List.copyOf(ignored);
    adapted = List.copyOf(adapted);
    warnings = List.copyOf(warnings);
  }
}
