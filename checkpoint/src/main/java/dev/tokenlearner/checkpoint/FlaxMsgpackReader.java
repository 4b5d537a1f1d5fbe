package dev.tokenlearner.checkpoint;

import dev.tokenlearner.checkpoint.FlaxMsgpackParser.Leaves;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * Reads a Flax {@code checkpoint_<step>} file, the msgpack train state that {@code
 * flax.training.checkpoints.save_checkpoint} (and so Scenic) writes.
 *
 * <p>The parameters are found as Scenic's {@code restore_pretrained_checkpoint} finds them:
 *
 * <ol>
 *   <li>{@code params} at the top level (optax-era train state), else
 *   <li>{@code optimizer/target} (flax.optim-era train state), and if that holds a {@code params}
 *       key the checkpoint is pre-Linen: {@code optimizer/target/params} with module names
 *       renumbered per class ({@code convert_pre_linen}).
 * </ol>
 *
 * <p>The file is streamed: optimizer state and everything else not needed is skipped by length, so
 * reading needs about the size of the parameters in heap, not the file. Float32 and bfloat16 arrays
 * are read (bfloat16 widened to float32); chunked arrays ({@code __msgpack_chunked_array__} maps)
 * are reassembled. Data is taken as little-endian, as every known writer produces it.
 */
public final class FlaxMsgpackReader {

  /** {@link Checkpoint#format()} of checkpoints read here. */
  public static final String FORMAT = "flax-msgpack";

  /** Layout of an optax-era train state. */
  public static final String LAYOUT_PARAMS = "params";

  /** Layout of a flax.optim-era train state. */
  public static final String LAYOUT_OPTIMIZER_TARGET = "optimizer/target";

  /** Layout of a pre-Linen flax.optim-era train state. */
  public static final String LAYOUT_PRE_LINEN = "optimizer/target/params (pre-linen)";

  private static final int READ_BUFFER_BYTES = 1 << 20;

  private FlaxMsgpackReader() {}

  /**
   * Reads the parameters and step of a checkpoint file.
   *
   * @param file a {@code checkpoint_<step>} msgpack file
   * @return the parameters by {@code '/'}-joined Linen path, the layout they were found in and the
   *     {@code global_step}
   * @throws CheckpointFormatException if the file is not a Flax msgpack train state, is truncated
   *     or corrupt, or holds non-float parameters; the message names the file and key path
   * @throws IOException if the file cannot be read
   */
  public static Checkpoint read(Path file) throws IOException {
    return parse(file, FlaxMsgpackReader::readCheckpoint);
  }

  /**
   * Reads a whole optax-era train state, optimizer state included (for resuming training).
   *
   * <p>The optimizer state's float arrays become {@link HostArray}s, 0-d int32 and int64 arrays
   * {@link Integer} and {@link Long}, native msgpack values Long, Double, Boolean, String or null;
   * chunked arrays are reassembled.
   *
   * @param file a {@code checkpoint_<step>} msgpack file with a top-level {@code params} key
   * @return the train state
   * @throws CheckpointFormatException if the file is not an optax-era Flax train state or is
   *     corrupt
   * @throws IOException if the file cannot be read
   */
  public static FlaxTrainState readTrainState(Path file) throws IOException {
    return parse(file, FlaxMsgpackReader::readFullState);
  }

  private interface Body<T> {
    T run(Path file, FlaxMsgpackParser p) throws IOException;
  }

  private static <T> T parse(Path file, Body<T> body) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CheckpointFormatException(file, "not a regular file");
    }
    long size = Files.size(file);
    // The unpacker buffers the stream itself; payloads are copied out in small pieces.
    try (InputStream in = Files.newInputStream(file);
        MessageUnpacker u =
            MessagePack.DEFAULT_UNPACKER_CONFIG.withBufferSize(READ_BUFFER_BYTES).newUnpacker(in)) {
      FlaxMsgpackParser p = new FlaxMsgpackParser(file, size, u);
      try {
        T result = body.run(file, p);
        if (p.hasMore()) {
          throw p.fail("unexpected " + p.remaining() + " bytes after the train state");
        }
        return result;
      } catch (MessageInsufficientBufferException e) {
        throw new CheckpointFormatException(
            file, "at " + p.path() + ": unexpected end of file (truncated?)", e);
      } catch (MessagePackException | IllegalArgumentException | IllegalStateException e) {
        throw new CheckpointFormatException(
            file,
            "at " + p.path() + " (byte " + p.offset() + "): corrupt msgpack: " + e.getMessage(),
            e);
      }
    }
  }

  /** Reads the value of one map entry; the parser stands at the value, under the entry's key. */
  private interface Entry {
    void read(String key) throws IOException;
  }

  /**
   * Reads a map entry by entry, each under its key in the parser's path.
   *
   * @return the keys in file order
   */
  private static List<String> readMap(FlaxMsgpackParser p, String what, Entry entry)
      throws IOException {
    int n = p.mapHeader(what);
    List<String> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = p.key();
      keys.add(key);
      p.push(key);
      entry.read(key);
      p.pop();
    }
    return keys;
  }

  /** What one pass over the top-level state dict kept. */
  private static final class StateDict {
    Object params;
    Object target;
    OptionalLong step = OptionalLong.empty();
    final Map<String, Object> trees = new HashMap<>();
    List<String> keys;
  }

  /**
   * Reads the top-level state dict, keeping {@code params} and {@code global_step}, the trees named
   * in {@code wholeTrees} (any leaves), and, if {@code withTarget}, {@code optimizer/target} while
   * no {@code params} has been seen; everything else is skipped by length.
   */
  private static StateDict readStateDict(
      FlaxMsgpackParser p, boolean withTarget, Set<String> wholeTrees) throws IOException {
    StateDict s = new StateDict();
    s.keys =
        readMap(
            p,
            "a Flax state dict",
            key -> {
              if (key.equals("params")) {
                s.params = p.readTree(Leaves.PARAMS);
                s.target = null; // Scenic prefers 'params' whenever it exists
              } else if (key.equals("global_step")) {
                s.step = p.readStep();
              } else if (withTarget && key.equals("optimizer") && s.params == null) {
                s.target = readOptimizerTarget(p);
              } else if (wholeTrees.contains(key)) {
                s.trees.put(key, p.readTree(Leaves.ANY));
              } else {
                p.skip();
              }
            });
    return s;
  }

  private static Checkpoint readCheckpoint(Path file, FlaxMsgpackParser p) throws IOException {
    StateDict s = readStateDict(p, true, Set.of());
    String layout;
    Map<String, Object> tree;
    String root;
    if (s.params != null) {
      layout = LAYOUT_PARAMS;
      tree = asMap(file, s.params, "params");
      root = "params";
    } else if (s.target != null) {
      Map<String, Object> t = asMap(file, s.target, "optimizer/target");
      if (t.containsKey("params")) {
        layout = LAYOUT_PRE_LINEN;
        tree = PreLinen.convert(asMap(file, t.get("params"), "optimizer/target/params"));
        root = "optimizer/target/params";
      } else {
        layout = LAYOUT_OPTIMIZER_TARGET;
        tree = t;
        root = "optimizer/target";
      }
    } else {
      throw new CheckpointFormatException(
          file,
          "expected a train state with 'params' or 'optimizer/target', found top-level keys "
              + s.keys);
    }
    SortedMap<String, HostArray> flat = ParamTree.flatten(file, tree, root);
    if (flat.isEmpty()) {
      throw new CheckpointFormatException(file, "'" + root + "' holds no arrays");
    }
    return new Checkpoint(file, FORMAT, layout, s.step, flat);
  }

  /** Reads {@code optimizer}, keeping only {@code target}; returns null if there is none. */
  private static Object readOptimizerTarget(FlaxMsgpackParser p) throws IOException {
    Map<String, Object> kept = new HashMap<>();
    readMap(
        p,
        "the flax.optim optimizer state dict",
        key -> {
          if (key.equals("target")) {
            kept.put(key, p.readTree(Leaves.PARAMS));
          } else {
            p.skip();
          }
        });
    return kept.get("target");
  }

  private static FlaxTrainState readFullState(Path file, FlaxMsgpackParser p) throws IOException {
    StateDict s = readStateDict(p, false, Set.of("opt_state", "rng", "metadata"));
    if (s.params == null) {
      throw new CheckpointFormatException(
          file, "expected an optax-era train state with 'params', found top-level keys " + s.keys);
    }
    SortedMap<String, HostArray> flat =
        ParamTree.flatten(file, asMap(file, s.params, "params"), "params");
    Object optState = s.trees.get("opt_state");
    Object metadata = s.trees.get("metadata");
    Map<String, Object> opt =
        optState == null
            ? Map.of()
            : optLeaves(file, asMap(file, optState, "opt_state"), "opt_state");
    Map<String, Object> meta =
        metadata == null ? null : nativeLeaves(file, asMap(file, metadata, "metadata"), "metadata");
    return new FlaxTrainState(s.step.orElse(0), flat, opt, rngBits(file, s.trees.get("rng")), meta);
  }

  private static Map<String, Object> optLeaves(Path file, Map<String, Object> tree, String path)
      throws CheckpointFormatException {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      String p = path + "/" + e.getKey();
      Object v = e.getValue();
      if (v instanceof Map<?, ?>) {
        v = optLeaves(file, asMap(file, v, p), p);
      } else if (v instanceof RawArray r) {
        if (r.shape().length != 0) {
          throw new CheckpointFormatException(
              file,
              p + ": expected a float array or a 0-d integer, found " + ParamTree.describe(r));
        }
        v =
            switch (r.dtype()) {
              case INT32 -> (int) r.longAt(0);
              case INT64 -> r.longAt(0);
              default ->
                  throw new CheckpointFormatException(
                      file,
                      p + ": expected an int32 or int64 counter, found " + ParamTree.describe(r));
            };
      }
      out.put(e.getKey(), v);
    }
    return out;
  }

  private static Map<String, Object> nativeLeaves(Path file, Map<String, Object> tree, String path)
      throws CheckpointFormatException {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      String p = path + "/" + e.getKey();
      Object v = e.getValue();
      if (v instanceof Map<?, ?>) {
        v = nativeLeaves(file, asMap(file, v, p), p);
      } else if (v instanceof RawArray || v instanceof HostArray) {
        throw new CheckpointFormatException(
            file, p + ": arrays in metadata are not supported, found " + ParamTree.describe(v));
      }
      out.put(e.getKey(), v);
    }
    return out;
  }

  private static int[] rngBits(Path file, Object rng) throws CheckpointFormatException {
    if (rng == null) {
      return new int[2];
    }
    if (rng instanceof RawArray r
        && (r.dtype() == FlaxDtype.UINT32 || r.dtype() == FlaxDtype.INT32)) {
      int[] bits = new int[r.size()];
      for (int i = 0; i < bits.length; i++) {
        bits[i] = (int) r.longAt(i);
      }
      return bits;
    }
    throw new CheckpointFormatException(
        file, "rng: expected a uint32 array, found " + ParamTree.describe(rng));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Path file, Object v, String path)
      throws CheckpointFormatException {
    if (v instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    throw new CheckpointFormatException(
        file, path + ": expected a map, found " + ParamTree.describe(v));
  }
}
