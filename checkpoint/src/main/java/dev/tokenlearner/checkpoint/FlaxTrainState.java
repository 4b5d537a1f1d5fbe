package dev.tokenlearner.checkpoint;

import dev.tokenlearner.core.HostArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The saved fields of a Scenic (optax-era) {@code TrainState}, as {@link FlaxMsgpackWriter} writes
 * them and {@link FlaxMsgpackReader#readTrainState} reads them back.
 *
 * <p>Trees are nested {@code Map<String, Object>}s whose iteration order is the on-disk order (use
 * a {@link TreeMap} for sorted keys, as JAX's tree flattening gives). Leaves:
 *
 * <ul>
 *   <li>{@code optState}: {@link HostArray} (a float32 ndarray), {@link Integer} (a 0-d int32
 *       ndarray, e.g. optax's {@code count}), {@link Long} (a 0-d int64 ndarray), or the native
 *       values of {@code metadata};
 *   <li>{@code metadata}: {@link Long} or {@link Integer} (a msgpack integer), {@link Double},
 *       {@link Boolean}, {@link String} or {@code null}.
 * </ul>
 *
 * @param step the global step ({@code global_step}, a 0-d int32 ndarray on disk)
 * @param params parameters by {@code '/'}-joined Flax path
 * @param optState the optimizer state tree (optax's tuples appear as maps keyed {@code "0","1",..})
 * @param rng the PRNG key as uint32 bit patterns (a {@code uint32[rng.length]} ndarray on disk)
 * @param metadata Scenic's {@code metadata} tree (normally {@code {"chrono": {...}}}), or null for
 *     nil
 */
public record FlaxTrainState(
    long step,
    SortedMap<String, HostArray> params,
    Map<String, Object> optState,
    int[] rng,
    Map<String, Object> metadata) {

  /** Checks the trees and makes unmodifiable copies of the maps (arrays are not copied). */
  public FlaxTrainState {
    if (step < 0 || step > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "step " + step + " does not fit Scenic's int32 global_step");
    }
    params =
        Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(params, "params")));
    ParamTree.unflatten(params); // rejects inconsistent paths early
    optState = copyTree(Objects.requireNonNull(optState, "optState"), "opt_state", true);
    rng = Objects.requireNonNull(rng, "rng").clone();
    metadata = metadata == null ? null : copyTree(metadata, "metadata", false);
  }

  /**
   * A state with Scenic's default metadata (all {@code chrono} counters zero).
   *
   * @param step the global step
   * @param params parameters by path
   * @param optState the optimizer state tree
   * @param rng the PRNG key bits
   * @return the state
   */
  public static FlaxTrainState of(
      long step, SortedMap<String, HostArray> params, Map<String, Object> optState, int[] rng) {
    return new FlaxTrainState(step, params, optState, rng, defaultMetadata());
  }

  /**
   * Scenic's {@code metadata} at the start of training: {@code {"chrono": {accum_examples_seen: 0,
   * accum_pause_time: 0.0, accum_program_time: 0.0, accum_train_time: 0.0}}}, which Scenic's
   * trainers read back on resume.
   *
   * @return a new map
   */
  public static Map<String, Object> defaultMetadata() {
    Map<String, Object> chrono = new LinkedHashMap<>();
    chrono.put("accum_examples_seen", 0L);
    chrono.put("accum_pause_time", 0.0);
    chrono.put("accum_program_time", 0.0);
    chrono.put("accum_train_time", 0.0);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("chrono", chrono);
    return m;
  }

  /** The PRNG key bits (a copy). */
  @Override
  public int[] rng() {
    return rng.clone();
  }

  private static Map<String, Object> copyTree(
      Map<String, Object> tree, String path, boolean arrays) {
    Map<String, Object> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      String p = path + "/" + e.getKey();
      Object v = e.getValue();
      if (e.getKey() == null) {
        throw new IllegalArgumentException("null key under " + path);
      }
      if (v instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> sub = (Map<String, Object>) m;
        v = copyTree(sub, p, arrays);
      } else if (!(v == null
          || v instanceof Long
          || v instanceof Integer
          || v instanceof Double
          || v instanceof Boolean
          || v instanceof String
          || (arrays && v instanceof HostArray))) {
        throw new IllegalArgumentException(
            p
                + ": unsupported leaf of type "
                + v.getClass().getName()
                + (arrays ? "; expected HostArray, Integer, Long or a native value" : ""));
      }
      copy.put(e.getKey(), v);
    }
    return Collections.unmodifiableMap(copy);
  }
}
