package dev.tokenlearner.checkpoint;

import dev.tokenlearner.core.HostArray;
import java.nio.file.Path;
import java.util.Collections;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The model parameters read from one checkpoint.
 *
 * @param source the file or directory that was read
 * @param format a short name of the on-disk form, e.g. {@code flax-msgpack}, {@code orbax-zarr},
 *     {@code orbax-ocdbt}, {@code vit-npz}
 * @param layout the train-state layout the parameters were found in, e.g. {@code params}, {@code
 *     optimizer/target}, {@code optimizer/target/params (pre-linen)}
 * @param step the global step, when the checkpoint records one
 * @param params parameters keyed by Flax path joined with '/', relative to the params root (e.g.
 *     {@code Transformer/encoder_norm/scale}), sorted
 */
public record Checkpoint(
    Path source,
    String format,
    String layout,
    OptionalLong step,
    SortedMap<String, HostArray> params) {

  /** Copies the parameter map into an unmodifiable sorted map. */
  public Checkpoint {
    params = Collections.unmodifiableSortedMap(new TreeMap<>(params));
  }

  /** Total number of float values over all parameters. */
  public long parameterCount() {
    long n = 0;
    for (HostArray a : params.values()) {
      n += a.data().length;
    }
    return n;
  }
}
