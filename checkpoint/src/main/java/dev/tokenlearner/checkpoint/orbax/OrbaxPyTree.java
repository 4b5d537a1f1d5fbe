package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/**
 * The part of an Orbax {@code PyTreeCheckpointHandler} checkpoint that both storage forms share:
 * each leaf is a Zarr v2 array named by its tree path joined with '.', its {@code .zarray} under
 * {@code <name>/.zarray} and its chunks under {@code <name>/<chunk key>}.
 *
 * <p>This picks the {@code params} subtree (or {@code optimizer/target} in the pre-optax layout),
 * maps names back to '/'-joined paths using the key lists in {@code _METADATA} where present, and
 * finds the step.
 */
final class OrbaxPyTree {

  /** Where keys such as {@code params.embedding.kernel/0.0} are read from. */
  interface Store {
    /** The value stored under {@code key}, or {@code null} when there is none. */
    byte[] read(String key) throws IOException;

    /** The file holding {@code key}, for messages. */
    Path fileOf(String key);

    /** The names stored under {@code prefix + "/"}, relative to it (any depth). */
    Collection<String> list(String prefix) throws IOException;
  }

  /** The chunks of array {@code name} in {@code store}. */
  private static ZarrArrayReader.ChunkSource chunks(Store store, String name) {
    return new ZarrArrayReader.ChunkSource() {
      @Override
      public Collection<String> keys() throws IOException {
        return store.list(name);
      }

      @Override
      public byte[] read(String chunkKey) throws IOException {
        return store.read(name + "/" + chunkKey);
      }
    };
  }

  private static final long MAX_METADATA_BYTES = 256L << 20;
  private static final Pattern TRAILING_STEP = Pattern.compile("(?:.*[^0-9])?([0-9]{1,18})");

  private OrbaxPyTree() {}

  /**
   * Reads the parameters.
   *
   * @param dir the checkpoint directory
   * @param format the {@link Checkpoint#format()} to report
   * @param arrayNames the '.'-joined names of all arrays present
   * @param store where the arrays' keys are read from
   */
  static Checkpoint read(Path dir, String format, Collection<String> arrayNames, Store store)
      throws IOException {
    Map<String, List<String>> keyPaths = treeKeyPaths(dir);
    String layout = null;
    SortedMap<String, String> paramNames = new TreeMap<>(); // '/'-path -> array name
    for (String[] root : new String[][] {{"params"}, {"optimizer", "target"}}) {
      for (String name : arrayNames) {
        List<String> keys = keyPaths.getOrDefault(name, Arrays.asList(name.split("\\.", -1)));
        if (keys.size() > root.length && keys.subList(0, root.length).equals(List.of(root))) {
          String path = String.join("/", keys.subList(root.length, keys.size()));
          String previous = paramNames.put(path, name);
          if (previous != null) {
            throw new CheckpointFormatException(
                dir, "arrays '" + previous + "' and '" + name + "' both map to '" + path + "'");
          }
        }
      }
      if (!paramNames.isEmpty()) {
        layout = String.join("/", root);
        break;
      }
    }
    if (layout == null) {
      TreeSet<String> top = new TreeSet<>();
      for (String name : arrayNames) {
        top.add(name.split("\\.", 2)[0]);
      }
      throw new CheckpointFormatException(
          dir, "no 'params' or 'optimizer.target' arrays; top-level keys found: " + top);
    }
    SortedMap<String, HostArray> params = new TreeMap<>();
    for (Map.Entry<String, String> e : paramNames.entrySet()) {
      String name = e.getValue();
      ZarrArrayMetadata meta = metadata(store, name);
      float[] data =
          ZarrArrayReader.readFloat32(
              meta, chunks(store, name), store.fileOf(name + "/.zarray"), name);
      params.put(e.getKey(), new HostArray(meta.shape().clone(), data));
    }
    return new Checkpoint(dir, format, layout, step(dir, arrayNames, store), params);
  }

  private static ZarrArrayMetadata metadata(Store store, String name) throws IOException {
    String key = name + "/.zarray";
    byte[] json = store.read(key);
    if (json == null) {
      throw new CheckpointFormatException(store.fileOf(key), "array '" + name + "' has no .zarray");
    }
    return ZarrArrayMetadata.parse(json, store.fileOf(key), name);
  }

  /**
   * The step: the {@code global_step} leaf if saved, else an integer {@code global_step} in an
   * older Orbax {@code checkpoint} msgpack file, else the trailing number of the directory name.
   */
  private static OptionalLong step(Path dir, Collection<String> arrayNames, Store store)
      throws IOException {
    if (arrayNames.contains("global_step")) {
      ZarrArrayMetadata meta = metadata(store, "global_step");
      return OptionalLong.of(
          ZarrArrayReader.readIntegerScalar(
              meta,
              chunks(store, "global_step"),
              store.fileOf("global_step/.zarray"),
              "global_step"));
    }
    Path aggregate = dir.resolve("checkpoint");
    if (Files.isRegularFile(aggregate)) {
      OptionalLong s = stepFromAggregate(aggregate);
      if (s.isPresent()) {
        return s;
      }
    }
    Path name = dir.toAbsolutePath().normalize().getFileName();
    Matcher m = TRAILING_STEP.matcher(name == null ? "" : name.toString());
    return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  /** Reads an integer {@code global_step} from the top-level map of a msgpack file, if any. */
  private static OptionalLong stepFromAggregate(Path file) throws IOException {
    if (Files.size(file) > MAX_METADATA_BYTES) {
      return OptionalLong.empty();
    }
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(Files.readAllBytes(file))) {
      Value v = u.unpackValue();
      if (v.isMapValue()) {
        for (Map.Entry<Value, Value> e : v.asMapValue().entrySet()) {
          if (e.getKey().isStringValue()
              && e.getKey().asStringValue().asString().equals("global_step")
              && e.getValue().isIntegerValue()
              && e.getValue().asIntegerValue().isInLongRange()) {
            return OptionalLong.of(e.getValue().asIntegerValue().toLong());
          }
        }
      }
      return OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      throw new CheckpointFormatException(file, "not a valid msgpack aggregate file", e);
    }
  }

  /** Maps '.'-joined array names to their key lists from {@code _METADATA}, when it has them. */
  private static Map<String, List<String>> treeKeyPaths(Path dir) throws IOException {
    Map<String, List<String>> out = new HashMap<>();
    Path file = dir.resolve("_METADATA");
    if (!Files.isRegularFile(file)) {
      return out;
    }
    if (Files.size(file) > MAX_METADATA_BYTES) {
      throw new CheckpointFormatException(file, "larger than " + MAX_METADATA_BYTES + " bytes");
    }
    Map<?, ?> doc = JsonDocument.parseObject(Files.readAllBytes(file), file, "_METADATA");
    // Older Orbax versions wrote other schemas; then names are split at '.' instead.
    if (!(doc.get("tree_metadata") instanceof Map<?, ?> tree)) {
      return out;
    }
    for (Object entry : tree.values()) {
      if (entry instanceof Map<?, ?> leaf && leaf.get("key_metadata") instanceof List<?> keys) {
        String[] parts = new String[keys.size()];
        for (int i = 0; i < parts.length; i++) {
          if (!(keys.get(i) instanceof Map<?, ?> k) || k.get("key") == null) {
            throw new CheckpointFormatException(
                file, "tree_metadata key_metadata entry " + keys.get(i) + " has no 'key'");
          }
          parts[i] = String.valueOf(k.get("key"));
        }
        out.put(String.join(".", parts), List.of(parts));
      }
    }
    return out;
  }
}
