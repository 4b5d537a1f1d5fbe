package dev.tokenlearner.checkpoint;

import dev.tokenlearner.core.HostArray;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Conversions between nested parameter maps and flat {@code '/'}-joined paths. */
final class ParamTree {

  /** Separator of path components in flat parameter names. */
  static final String SEPARATOR = "/";

  private ParamTree() {}

  /**
   * Flattens a nested tree whose leaves are {@link HostArray}s; empty maps contribute nothing.
   *
   * @param file the checkpoint, for error messages
   * @param tree the tree
   * @param rootPath path of {@code tree} inside the checkpoint, for error messages
   * @return flat paths to arrays, sorted
   * @throws CheckpointFormatException if a leaf is not an array or a key holds the separator
   */
  static SortedMap<String, HostArray> flatten(Path file, Map<String, Object> tree, String rootPath)
      throws CheckpointFormatException {
    SortedMap<String, HostArray> out = new TreeMap<>();
    flattenInto(file, tree, "", rootPath, out);
    return out;
  }

  private static void flattenInto(
      Path file,
      Map<String, Object> tree,
      String prefix,
      String rootPath,
      Map<String, HostArray> out)
      throws CheckpointFormatException {
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      String key = e.getKey();
      String path = prefix + key;
      if (key.contains(SEPARATOR) || key.isEmpty()) {
        throw new CheckpointFormatException(
            file,
            "key '" + key + "' under '" + rootPath + "/" + prefix + "' is empty or holds '/'");
      }
      if (e.getValue() instanceof HostArray a) {
        out.put(path, a);
      } else if (e.getValue() instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> sub = (Map<String, Object>) m;
        flattenInto(file, sub, path + SEPARATOR, rootPath, out);
      } else {
        throw new CheckpointFormatException(
            file,
            rootPath
                + "/"
                + path
                + ": expected a float array or a map, found "
                + describe(e.getValue()));
      }
    }
  }

  /**
   * Nests flat {@code '/'}-joined paths into sorted maps.
   *
   * @param params flat paths to arrays
   * @return nested maps, keys sorted at every level
   * @throws IllegalArgumentException if a path is both a leaf and a prefix of another path, or has
   *     an empty component
   */
  static SortedMap<String, Object> unflatten(Map<String, HostArray> params) {
    SortedMap<String, Object> root = new TreeMap<>();
    for (Map.Entry<String, HostArray> e : params.entrySet()) {
      String[] parts = e.getKey().split(SEPARATOR, -1);
      SortedMap<String, Object> node = root;
      for (int i = 0; i < parts.length; i++) {
        String part = parts[i];
        if (part.isEmpty()) {
          throw new IllegalArgumentException(
              "empty component in parameter path '" + e.getKey() + "'");
        }
        if (i == parts.length - 1) {
          if (node.putIfAbsent(part, e.getValue()) != null) {
            throw new IllegalArgumentException(
                "parameter path '" + e.getKey() + "' is also a prefix of another path");
          }
        } else {
          Object child = node.computeIfAbsent(part, k -> new TreeMap<String, Object>());
          if (!(child instanceof SortedMap<?, ?>)) {
            throw new IllegalArgumentException(
                "parameter path '"
                    + e.getKey()
                    + "' runs through the leaf '"
                    + String.join(SEPARATOR, Arrays.copyOf(parts, i + 1))
                    + "'");
          }
          @SuppressWarnings("unchecked")
          SortedMap<String, Object> next = (SortedMap<String, Object>) child;
          node = next;
        }
      }
    }
    return root;
  }

  /** A short description of a decoded value for error messages. */
  static String describe(Object v) {
    if (v == null) {
      return "nil";
    }
    if (v instanceof HostArray a) {
      return "float array " + a.shapeString();
    }
    if (v instanceof RawArray r) {
      return r.dtype().numpyName + " array " + Arrays.toString(r.shape());
    }
    if (v instanceof Map<?, ?>) {
      return "a map";
    }
    return v.getClass().getSimpleName() + " " + v;
  }
}
