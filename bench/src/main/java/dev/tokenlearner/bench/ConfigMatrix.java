package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The benchmark's model matrix and its filter.
 *
 * <p>For each ViT size: the plain ViT, then TokenLearner v1.1 with {@value #TOKENS_SMALL} and
 * {@value #TOKENS_LARGE} tokens at the middle layer ({@code L/2}) and at three quarters depth
 * ({@code 3L/4}), each without and with TokenFuser: nine models per size.
 */
public final class ConfigMatrix {

  /** The smaller learned-token count. */
  public static final int TOKENS_SMALL = 8;

  /** The larger learned-token count. */
  public static final int TOKENS_LARGE = 16;

  /** Patch side of every standard config. */
  public static final int PATCH = 16;

  private ConfigMatrix() {}

  /**
   * The standard matrix for the given sizes.
   *
   * @param sizes ViT sizes, in the order rows should appear
   * @param imageSize square image side
   * @return nine configs per size, plain first
   */
  public static List<BenchConfig> standard(List<ViTSize> sizes, int imageSize) {
    List<BenchConfig> out = new ArrayList<>();
    for (ViTSize s : sizes) {
      out.add(BenchConfig.plain(s, PATCH, imageSize));
      int[] locs = {s.numLayers() / 2, s.numLayers() * 3 / 4};
      for (int tokens : new int[] {TOKENS_SMALL, TOKENS_LARGE}) {
        for (int loc : locs) {
          for (boolean fuser : new boolean[] {false, true}) {
            out.add(BenchConfig.tokenLearner(s, PATCH, imageSize, tokens, loc, fuser));
          }
        }
      }
    }
    return out;
  }

  /**
   * Keeps the configs whose name matches one of the patterns, plus the plain ViT each kept config
   * is compared with.
   *
   * <p>A pattern is a glob over the whole name: {@code *} stands for any text ({@code B/16*},
   * {@code *+fuser}, {@code *tl8@6}); without {@code *} it names one config. Matching ignores case.
   *
   * @param configs the candidates
   * @param patterns the patterns; empty keeps everything
   * @return the kept configs in their original order
   * @throws IllegalArgumentException if a pattern matches nothing, naming it and the choices
   */
  public static List<BenchConfig> filter(List<BenchConfig> configs, List<String> patterns) {
    if (patterns.isEmpty()) {
      return List.copyOf(configs);
    }
    Set<String> keep = new LinkedHashSet<>();
    for (String p : patterns) {
      boolean any = false;
      for (BenchConfig c : configs) {
        if (matches(c.name(), p)) {
          keep.add(c.name());
          keep.add(c.plainName());
          any = true;
        }
      }
      if (!any) {
        List<String> names = configs.stream().map(BenchConfig::name).toList();
        throw new IllegalArgumentException("config pattern '" + p + "' matches none of " + names);
      }
    }
    return configs.stream().filter(c -> keep.contains(c.name())).toList();
  }

  /**
   * The pair the XLA and precision benchmarks time per size: the plain ViT and TokenLearner v1.1
   * with {@value #TOKENS_SMALL} tokens at half depth, at 224².
   *
   * @param size the ViT size
   * @return the plain config, then the TokenLearner one
   */
  static List<BenchConfig> plainAndHalfwayTokenLearner(ViTSize size) {
    return List.of(
        BenchConfig.plain(size, PATCH, 224),
        BenchConfig.tokenLearner(size, PATCH, 224, TOKENS_SMALL, size.numLayers() / 2, false));
  }

  /**
   * Whether a config name matches a pattern (see {@link #filter}).
   *
   * @param name the config name
   * @param pattern a glob; {@code *} matches any text
   * @return true on a match
   */
  static boolean matches(String name, String pattern) {
    String n = name.toLowerCase(Locale.ROOT);
    String p = pattern.trim().toLowerCase(Locale.ROOT);
    List<String> parts = new ArrayList<>();
    for (String part : p.split("\\*", -1)) {
      parts.add(Pattern.quote(part));
    }
    return Pattern.matches(String.join(".*", parts), n);
  }
}
