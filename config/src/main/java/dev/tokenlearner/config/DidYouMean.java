package dev.tokenlearner.config;

import java.util.Collection;
import java.util.Optional;

/** Suggests the closest known key for a misspelt one (Levenshtein distance). */
final class DidYouMean {

  private DidYouMean() {}

  /**
   * Returns the known key nearest to {@code key}, if it is close enough to be a likely typo: at
   * most 2 edits, or a third of the key's length for long keys.
   *
   * @param key the unknown key
   * @param known the keys allowed at that place
   * @return the suggestion, or empty if nothing is close
   */
  static Optional<String> suggest(String key, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key, k);
      // Ties go to the lexicographically first key so the message is deterministic.
      if (d < bestDistance || (d == bestDistance && best != null && k.compareTo(best) < 0)) {
        best = k;
        bestDistance = d;
      }
    }
    int limit = Math.max(2, key.length() / 3);
    return best != null && bestDistance <= limit ? Optional.of(best) : Optional.empty();
  }

  /**
   * Levenshtein edit distance (insertions, deletions, substitutions each cost 1).
   *
   * @param a first string
   * @param b second string
   * @return the edit distance
   */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
