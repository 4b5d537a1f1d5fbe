package dev.tokenlearner.checkpoint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flax's {@code convert_pre_linen}: renames pre-Linen submodules, which shared one counter across
 * classes within a parent ({@code Conv_0, Dense_1}), to Linen's per-class counters ({@code Conv_0,
 * Dense_0}).
 *
 * <p>Within each map, the keys are put in {@link NaturalOrder}, and every key of the form {@code
 * <prefix>_<digits>} is renumbered 0, 1, 2, ... per prefix in that order; other keys are kept. The
 * rule applies at every level of the tree.
 */
final class PreLinen {

  // Flax's MODULE_NUM_RE, '(.*)_\d+$'.
  private static final Pattern MODULE_NUM =
      Pattern.compile("(.*)_\\d+", Pattern.UNICODE_CHARACTER_CLASS);

  private PreLinen() {}

  /**
   * Returns the renamed tree; leaves are shared, not copied.
   *
   * @param tree nested maps (String keys) whose non-map values are leaves
   * @return a new tree with Linen names, maps in natural key order
   */
  static Map<String, Object> convert(Map<String, Object> tree) {
    List<String> names = new ArrayList<>(tree.keySet());
    names.sort(NaturalOrder.INSTANCE);
    Map<String, Integer> counts = new LinkedHashMap<>();
    Map<String, Object> renamed = new LinkedHashMap<>();
    for (String name : names) {
      Object value = tree.get(name);
      String newName = name;
      Matcher m = MODULE_NUM.matcher(name);
      if (m.matches()) {
        String module = m.group(1);
        int num = counts.getOrDefault(module, 0);
        newName = module + "_" + num;
        counts.put(module, num + 1);
      }
      renamed.put(newName, convertValue(value));
    }
    return renamed;
  }

  @SuppressWarnings("unchecked")
  private static Object convertValue(Object value) {
    return value instanceof Map<?, ?> m ? convert((Map<String, Object>) m) : value;
  }
}
