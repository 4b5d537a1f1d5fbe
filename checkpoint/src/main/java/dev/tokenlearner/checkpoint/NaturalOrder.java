package dev.tokenlearner.checkpoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flax's {@code natural_sort} order: names are split around signed decimal numbers, and the pieces
 * compare as text and numbers in turn, so {@code file_2} sorts before {@code file_10} and {@code
 * file_-0.2} before {@code file_0.1}.
 *
 * <p>Used both for choosing the latest {@code checkpoint_<N>} and for renumbering pre-Linen module
 * names, as Flax does.
 */
final class NaturalOrder implements Comparator<String> {

  static final NaturalOrder INSTANCE = new NaturalOrder();

  // Flax's SIGNED_FLOAT_RE.
  private static final Pattern NUMBER =
      Pattern.compile("[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?");

  private NaturalOrder() {}

  @Override
  public int compare(String a, String b) {
    List<Object> ka = key(a);
    List<Object> kb = key(b);
    for (int i = 0; i < Math.min(ka.size(), kb.size()); i++) {
      // Pieces alternate text, number, text, ..., so both sides have the same kind at index i.
      int c =
          (i % 2 == 0)
              ? compareCodePoints((String) ka.get(i), (String) kb.get(i))
              : Double.compare((Double) ka.get(i), (Double) kb.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(ka.size(), kb.size());
  }

  /** The split key: text, number, text, ..., text (like Python's re.split with a group). */
  static List<Object> key(String s) {
    List<Object> parts = new ArrayList<>();
    Matcher m = NUMBER.matcher(s);
    int last = 0;
    while (m.find()) {
      parts.add(s.substring(last, m.start()));
      parts.add(Double.parseDouble(m.group()));
      last = m.end();
    }
    parts.add(s.substring(last));
    return parts;
  }

  // Python compares str by code point, which differs from UTF-16 order only past the BMP.
  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
