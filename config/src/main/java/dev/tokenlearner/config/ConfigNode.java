package dev.tokenlearner.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A typed, tracking view of one mapping in a parsed config. Every read marks the dotted key as
 * used, so the loader can list what nobody read; every type mismatch becomes a {@link
 * ConfigException} naming the source and the dotted key. A key whose value is YAML/JSON {@code
 * null} reads as absent (Scenic's {@code None}).
 */
final class ConfigNode {
  private final String source;
  private final String path;
  private final Map<?, ?> map;
  private final Set<String> used;

  ConfigNode(String source, String path, Map<?, ?> map, Set<String> used) {
    this.source = source;
    this.path = path;
    this.map = map;
    this.used = used;
  }

  /** Returns the dotted key of a child of this node. */
  String key(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  String source() {
    return source;
  }

  String path() {
    return path;
  }

  /** Whether the key is present with a non-null value. */
  boolean has(String name) {
    return map.get(name) != null;
  }

  /** Whether the key holds the string {@code value} (any case). */
  boolean isString(String name, String value) {
    return read(name) instanceof String s && s.equalsIgnoreCase(value);
  }

  /** Whether the key is present at all, even with a null value. */
  boolean contains(String name) {
    return map.containsKey(name);
  }

  /** Names of this node's keys, as strings. */
  List<String> keys() {
    List<String> out = new ArrayList<>();
    for (Object k : map.keySet()) {
      out.add(String.valueOf(k));
    }
    return out;
  }

  ConfigException error(String name, String problem) {
    return new ConfigException(source, key(name), problem);
  }

  private Object read(String name) {
    used.add(key(name));
    return map.get(name);
  }

  /** Rejects keys not in {@code known}, suggesting the closest known one. */
  void requireKnownKeys(Set<String> known) {
    for (String k : keys()) {
      if (!known.contains(k)) {
        String hint =
            DidYouMean.suggest(k, known)
                .map(s -> "did you mean '" + key(s) + "'?")
                .orElse("known keys here: " + new TreeSet<>(known));
        throw new ConfigException(source, key(k), "unknown key; " + hint);
      }
    }
  }

  Optional<ConfigNode> child(String name) {
    Object v = read(name);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw error(name, "expected a mapping, found " + describe(v));
    }
    return Optional.of(new ConfigNode(source, key(name), m, used));
  }

  OptionalLong optLong(String name) {
    Object v = read(name);
    if (v == null) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(asLong(name, v));
  }

  private long asLong(String name, Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b && b.bitLength() < 64) {
      return b.longValue();
    }
    // Python configs often write 1e4 for step counts; accept floats that are whole numbers.
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
      return d.longValue();
    }
    throw error(name, "expected an integer, found " + describe(v));
  }

  OptionalInt optInt(String name) {
    OptionalLong v = optLong(name);
    if (v.isEmpty()) {
      return OptionalInt.empty();
    }
    long l = v.getAsLong();
    if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
      throw error(name, "integer " + l + " is out of range");
    }
    return OptionalInt.of((int) l);
  }

  int intOr(String name, int dflt) {
    return optInt(name).orElse(dflt);
  }

  OptionalDouble optDouble(String name) {
    Object v = read(name);
    if (v == null) {
      return OptionalDouble.empty();
    }
    if (v instanceof Number n) {
      return OptionalDouble.of(n.doubleValue());
    }
    throw error(name, "expected a number, found " + describe(v));
  }

  double doubleOr(String name, double dflt) {
    return optDouble(name).orElse(dflt);
  }

  Optional<String> optString(String name) {
    Object v = read(name);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof String s)) {
      throw error(name, "expected a string, found " + describe(v));
    }
    return Optional.of(s);
  }

  String reqString(String name) {
    return optString(name).orElseThrow(() -> missing(name, "a string"));
  }

  Optional<Boolean> optBool(String name) {
    Object v = read(name);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof Boolean b)) {
      throw error(name, "expected true or false, found " + describe(v));
    }
    return Optional.of(b);
  }

  boolean boolOr(String name, boolean dflt) {
    return optBool(name).orElse(dflt);
  }

  /** A list of integers, or a single integer when {@code scalarOk} (e.g. image_size: 224). */
  Optional<int[]> optIntArray(String name, boolean scalarOk) {
    Object v = read(name);
    if (v == null) {
      return Optional.empty();
    }
    if (scalarOk && !(v instanceof List<?>)) {
      return Optional.of(new int[] {optInt(name).getAsInt()});
    }
    if (!(v instanceof List<?> list)) {
      throw error(name, "expected a list of integers, found " + describe(v));
    }
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      Object e = list.get(i);
      if (e == null) {
        throw error(name, "expected a list of integers, found null at index " + i);
      }
      long l = asLong(name, e);
      if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
        throw error(name, "integer " + l + " at index " + i + " is out of range");
      }
      out[i] = (int) l;
    }
    return Optional.of(out);
  }

  /**
   * Runs a record constructor, reporting its validation failure against this node: a {@link
   * ConfigValueException} names its key below this node, any other {@link IllegalArgumentException}
   * this node's path.
   */
  <T> T construct(Supplier<T> ctor) {
    try {
      return ctor.get();
    } catch (ConfigException e) {
      throw e;
    } catch (ConfigValueException e) {
      throw new ConfigException(source, key(e.key()), e.problem());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(source, path.isEmpty() ? "(top level)" : path, e.getMessage());
    }
  }

  /** Reads a required enum value by its Scenic name, listing the allowed names when unknown. */
  <E extends ScenicNamed> E enumValue(String name, E[] values) {
    String s = reqString(name);
    return ScenicNames.find(values, s)
        .orElseThrow(() -> error(name, unknownValue(s, ScenicNames.names(values))));
  }

  /** "unknown value 'x'; did you mean 'y'? allowed: [...]". */
  static String unknownValue(String value, Set<String> allowed) {
    String hint =
        DidYouMean.suggest(value, allowed).map(s -> "did you mean '" + s + "'? ").orElse("");
    return "unknown value '" + value + "'; " + hint + "allowed: " + new TreeSet<>(allowed);
  }

  ConfigException missing(String name, String what) {
    return error(name, "missing required key (" + what + ")");
  }

  /** A short description of a parsed value for error messages: its kind and, if small, itself. */
  static String describe(Object v) {
    if (v instanceof String s) {
      return "string '" + s + "'";
    }
    if (v instanceof Boolean b) {
      return "boolean " + b;
    }
    if (v instanceof Double d) {
      return "number " + d;
    }
    if (v instanceof Number n) {
      return "integer " + n;
    }
    if (v instanceof List<?> l) {
      return "list of " + l.size();
    }
    if (v instanceof Map<?, ?>) {
      return "mapping";
    }
    return v.getClass().getSimpleName();
  }
}
