package dev.tokenlearner.train;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Pieces of optax state trees as Flax serialises them (nested maps; a tuple is a map keyed {@code
 * "0"}, {@code "1"}, ...), shared by the {@link UpdateRule}s.
 */
final class OptaxState {

  private OptaxState() {}

  /** {@code ScaleByScheduleState(count)}: the learning-rate schedule's counter. */
  static Map<String, Object> schedule(int count) {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("count", count);
    return state;
  }

  /**
   * The state of {@code add_decayed_weights}: empty, or {@code MaskedState(inner_state=
   * EmptyState())} when Scenic masks it ({@code skip_scale_and_bias_regularization}).
   */
  static Map<String, Object> decayedWeights(boolean masked) {
    Map<String, Object> state = new LinkedHashMap<>();
    if (masked) {
      state.put("inner_state", new LinkedHashMap<>());
    }
    return state;
  }

  /** Nested, sorted tree of one slot's values (keys {@code <slot>/<param path>}). */
  static SortedMap<String, Object> slotTree(String slot, Map<String, HostArray> slotValues) {
    SortedMap<String, Object> root = new TreeMap<>();
    String prefix = slot + "/";
    for (Map.Entry<String, HostArray> e : slotValues.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        continue;
      }
      String[] parts = e.getKey().substring(prefix.length()).split("/");
      SortedMap<String, Object> node = root;
      for (int i = 0; i < parts.length - 1; i++) {
        @SuppressWarnings("unchecked")
        SortedMap<String, Object> next =
            (SortedMap<String, Object>) node.computeIfAbsent(parts[i], k -> new TreeMap<>());
        node = next;
      }
      node.put(parts[parts.length - 1], e.getValue());
    }
    return root;
  }

  /**
   * The map under {@code key}.
   *
   * @throws InvalidInputException naming {@code where} and the keys found if there is none
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> child(Map<String, Object> tree, String key, String where) {
    Object v = tree.get(key);
    if (!(v instanceof Map<?, ?>)) {
      throw new InvalidInputException(
          where
              + ": expected a map under '"
              + key
              + "', found "
              + (v == null ? "nothing" : v.getClass().getSimpleName())
              + " (keys "
              + tree.keySet()
              + "); the checkpoint was written by another optimizer");
    }
    return (Map<String, Object>) v;
  }

  /**
   * The values of the named slots in a state that holds their trees side by side (e.g. {@code
   * ScaleByAdamState}'s {@code mu} and {@code nu}).
   *
   * @param state the state holding one tree per slot
   * @param slots the slot names
   * @param where the state's path, for messages
   * @return values keyed {@code <slot>/<param path>}
   * @throws IllegalArgumentException if a slot's tree is missing or holds a non-array leaf
   */
  static Map<String, HostArray> slotValues(
      Map<String, Object> state, List<String> slots, String where) {
    Map<String, HostArray> out = new LinkedHashMap<>();
    for (String slot : slots) {
      flattenInto(slot, child(state, slot, where), slot, out);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void flattenInto(
      String prefix, Map<String, Object> tree, String where, Map<String, HostArray> out) {
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      String key = prefix + "/" + e.getKey();
      if (e.getValue() instanceof Map<?, ?> m) {
        flattenInto(key, (Map<String, Object>) m, where, out);
      } else if (e.getValue() instanceof HostArray a) {
        out.put(key, a);
      } else {
        throw new InvalidInputException(
            "opt_state " + where + ": leaf " + key + " is not a float array");
      }
    }
  }
}
