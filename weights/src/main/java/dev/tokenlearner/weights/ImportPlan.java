package dev.tokenlearner.weights;

import dev.tokenlearner.core.HostArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an import assigns: the checkpoint's values for the model's parameters, and what the import
 * left fresh or ignored.
 *
 * @param values checkpoint values (after adaptation) keyed by Flax path; every model parameter
 *     except those in {@code fresh}
 * @param fresh model parameters kept at their fresh initial values ({@code dropHead}, TokenLearner
 *     parameters absent from a ViT checkpoint)
 * @param ignored checkpoint parameters deliberately not used ({@code cls}, {@code pre_logits}, a
 *     dropped head)
 * @param adapted checkpoint parameters changed on the way in (a resized position embedding), with a
 *     short note each
 * @param warnings conditions worth a look (also logged), e.g. the list of freshly initialised
 *     TokenLearner parameters
 */
public record ImportPlan(
    Map<String, HostArray> values,
    List<String> fresh,
    List<String> ignored,
    List<String> adapted,
    List<String> warnings) {

  /** Copies the collections into unmodifiable ones. */
  public ImportPlan {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    fresh = List.copyOf(fresh);
    ignored = List.copyOf(ignored);
    adapted = List.copyOf(adapted);
    warnings = List.copyOf(warnings);
  }
}
