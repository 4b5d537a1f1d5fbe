package dev.tokenlearner.cli.sweep;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.config.TokenizerType;
import dev.tokenlearner.core.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The models of a sweep: the plain ViT of the config's dimensions, then a TokenLearner with each
 * token count at each location, all with the config's data, optimizer, seed and step budget.
 */
public final class SweepPlan {

  /** Name of the model without a TokenLearner. */
  public static final String PLAIN = "plain";

  /**
   * One model to train.
   *
   * @param name its folder and row name, e.g. {@code tl8_loc3}
   * @param numTokens K, or 0 for the plain model
   * @param tokenlearnerLoc the block the TokenLearner precedes, or -1 for the plain model
   * @param config the experiment
   */
  public record Model(String name, int numTokens, int tokenlearnerLoc, ExperimentConfig config) {}

  private SweepPlan() {}

  /**
   * Parses block locations: fractions of the depth ({@code 1/2} is block {@code round(L/2)}) or
   * block indices, each in {@code [0, L)}; duplicates after rounding are dropped.
   *
   * @param specs e.g. {@code 1/4}, {@code 1/2}, {@code 3}
   * @param numLayers L
   * @return the distinct block indices in the given order
   * @throws InvalidInputException naming a location that is not a fraction or index in range
   */
  public static List<Integer> locations(List<String> specs, int numLayers) {
    Set<Integer> out = new LinkedHashSet<>();
    for (String spec : specs) {
      String s = spec.trim();
      int loc;
      try {
        if (s.contains("/")) {
          String[] p = s.split("/", 2);
          double f = Double.parseDouble(p[0]) / Double.parseDouble(p[1]);
          loc = (int) Math.round(f * numLayers);
        } else {
          loc = Integer.parseInt(s);
        }
      } catch (NumberFormatException e) {
        throw new InvalidInputException(
            "--locations: '" + spec + "' is neither a fraction like 1/2 nor a block index");
      }
      if (loc < 0 || loc >= numLayers) {
        throw new InvalidInputException(
            "--locations: '"
                + spec
                + "' is block "
                + loc
                + ", outside the model's blocks 0.."
                + (numLayers - 1));
      }
      out.add(loc);
    }
    return List.copyOf(out);
  }

  /**
   * The models of a sweep.
   *
   * @param base the config (its TokenLearner settings are replaced)
   * @param tokens the token counts K
   * @param locations block indices (see {@link #locations})
   * @param fuser TokenFuser after every block from the location on
   * @return the plain model first, then every (K, location) pair
   * @throws InvalidInputException if a token count is not positive
   */
  public static List<Model> models(
      ExperimentConfig base, List<Integer> tokens, List<Integer> locations, boolean fuser) {
    List<Model> out = new ArrayList<>();
    out.add(new Model(PLAIN, 0, -1, base.withoutTokenLearner()));
    TokenizerConfig t = base.model().tokenizer();
    TokenizerType type = t.type() == TokenizerType.PATCH ? TokenizerType.DYNAMIC : t.type();
    for (int k : tokens) {
      if (k <= 0) {
        throw new InvalidInputException("--tokens: token counts must be positive, got " + k);
      }
      for (int loc : locations) {
        TokenizerConfig tok =
            new TokenizerConfig(
                type, t.patchSize(), k, loc, fuser, t.useV11(), t.temporalEncoding());
        String name = "tl" + k + "_loc" + loc + (fuser ? "_fuser" : "");
        out.add(new Model(name, k, loc, base.withModel(base.model().withTokenizer(tok))));
      }
    }
    return out;
  }

  /**
   * The config with another step budget: {@code num_training_steps}, the schedule's length ({@code
   * total_steps}, {@code steps_per_cycle}), warmup at most a tenth of it, and one evaluation and
   * checkpoint at the end.
   *
   * @param cfg the config
   * @param steps the budget
   * @return the config, parsed again from the changed document
   * @throws InvalidInputException if steps is not positive
   */
  public static ExperimentConfig withSteps(ExperimentConfig cfg, long steps) {
    if (steps <= 0) {
      throw new InvalidInputException("--steps must be positive, got " + steps);
    }
    Map<String, Object> doc = copy(cfg.raw());
    doc.remove("num_training_epochs");
    doc.put("num_training_steps", steps);
    doc.put("log_eval_steps", steps);
    doc.put("checkpoint_steps", steps);
    Object summary = doc.get("log_summary_steps");
    long every = Math.max(1, steps / 10);
    doc.put(
        "log_summary_steps", summary instanceof Number n ? Math.min(n.longValue(), every) : every);
    if (doc.get("lr_configs") instanceof Map<?, ?> lr) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) lr;
      for (String key : List.of("total_steps", "steps_per_cycle")) {
        if (m.containsKey(key)) {
          m.put(key, steps);
        }
      }
      if (m.get("warmup_steps") instanceof Number w) {
        m.put("warmup_steps", Math.min(w.longValue(), Math.max(1, steps / 10)));
      }
    }
    return ConfigLoader.fromMap(doc, cfg.source());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> copy(Map<?, ?> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put((String) k, copyValue(v)));
    return out;
  }

  private static Object copyValue(Object v) {
    if (v instanceof Map<?, ?> m) {
      return copy(m);
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(x -> out.add(copyValue(x)));
      return out;
    }
    return v;
  }
}
