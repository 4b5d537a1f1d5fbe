package dev.tokenlearner.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code lr_configs}: Scenic's {@code compound} learning-rate schedule, the product of the named
 * {@code factors} ({@code 'constant*linear_warmup*linear_decay'} etc., see Scenic's {@code
 * lr_schedules.compound_lr_scheduler}).
 *
 * @param learningRateSchedule {@code learning_rate_schedule}; Scenic knows only {@code compound}
 * @param factors {@code factors} split on {@code '*'} and trimmed, in order
 * @param baseLearningRate {@code base_learning_rate} (the {@code constant} factor)
 * @param warmupSteps {@code warmup_steps} (default 0)
 * @param totalSteps {@code total_steps}; required by {@code linear_decay}
 * @param endLearningRate {@code end_learning_rate} for {@code linear_decay} (default 0)
 * @param stepsPerCycle {@code steps_per_cycle}; required by {@code cosine_decay}
 * @param warmupAlpha {@code warmup_alpha} for {@code linear_warmup} (default 0)
 * @param alpha {@code alpha}, the cosine floor as a fraction (default 0)
 * @param timescale {@code timescale} for {@code rsqrt_decay} (default 10000)
 */
public record LrConfig(
    String learningRateSchedule,
    List<String> factors,
    double baseLearningRate,
    long warmupSteps,
    OptionalLong totalSteps,
    double endLearningRate,
    OptionalLong stepsPerCycle,
    double warmupAlpha,
    double alpha,
    double timescale) {

  /** The config block's key. */
  public static final String KEY = "lr_configs";

  /** Keys read under {@value #KEY}. */
  static final Set<String> KEYS =
      Set.of(
          "learning_rate_schedule",
          "factors",
          "base_learning_rate",
          "warmup_steps",
          "total_steps",
          "end_learning_rate",
          "steps_per_cycle",
          "warmup_alpha",
          "alpha",
          "timescale");

  /** The only schedule name Scenic registers. */
  public static final String COMPOUND = "compound";

  /**
   * Factor names supported here: the ones the TokenLearner and ViViT configs use. Scenic's other
   * factors ({@code decay_every}, {@code polynomial}, {@code piecewise_*}, {@code linear_cooldown})
   * are rejected rather than silently ignored.
   */
  public static final Set<String> SUPPORTED_FACTORS =
      Set.of("constant", "linear_warmup", "linear_decay", "cosine_decay", "rsqrt_decay");

  /** Default {@code timescale} of {@code rsqrt_decay}. */
  public static final double TIMESCALE_DEFAULT = 10_000;

  /**
   * Validates the fields and copies the factor list.
   *
   * @throws IllegalArgumentException naming the offending field and value
   */
  public LrConfig {
    if (learningRateSchedule == null
        || factors == null
        || totalSteps == null
        || stepsPerCycle == null) {
      throw new IllegalArgumentException("lr_configs fields must not be null");
    }
    factors = List.copyOf(factors);
    if (!COMPOUND.equals(learningRateSchedule)) {
      throw new IllegalArgumentException(
          "learning_rate_schedule must be 'compound', got '" + learningRateSchedule + "'");
    }
    if (factors.isEmpty()) {
      throw new IllegalArgumentException("factors must name at least one factor");
    }
    for (String f : factors) {
      if (!SUPPORTED_FACTORS.contains(f)) {
        throw new IllegalArgumentException(
            "unsupported learning-rate factor '" + f + "'; supported: " + SUPPORTED_FACTORS);
      }
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
    }
    if (factors.contains("linear_decay")) {
      if (totalSteps.isEmpty()) {
        throw new IllegalArgumentException("factor 'linear_decay' needs total_steps");
      }
      if (totalSteps.getAsLong() <= warmupSteps) {
        throw new IllegalArgumentException(
            "with linear_decay, total_steps "
                + totalSteps.getAsLong()
                + " must exceed warmup_steps "
                + warmupSteps);
      }
    }
    if (factors.contains("cosine_decay")
        && (stepsPerCycle.isEmpty() || stepsPerCycle.getAsLong() <= 0)) {
      throw new IllegalArgumentException("factor 'cosine_decay' needs steps_per_cycle > 0");
    }
  }

  /**
   * Returns the factors joined the way Scenic writes them.
   *
   * @return e.g. {@code "constant*linear_warmup*linear_decay"}
   */
  public String factorString() {
    return String.join("*", factors);
  }

  /**
   * The learning rate at a step, computed in double precision exactly as Scenic's {@code
   * compound_lr_scheduler} does (factors applied left to right; {@code linear_decay} blends towards
   * {@code end_learning_rate} from the running product). A host-side reference for the trainer's
   * graph schedule and for logging.
   *
   * @param step the global step (0-based, as Scenic's {@code lr_fn(step)})
   * @return the learning rate
   */
  public double learningRate(long step) {
    double ratio = 1.0;
    for (String name : factors) {
      switch (name) {
        case "constant" -> ratio *= baseLearningRate;
        case "linear_warmup" -> {
          if (warmupSteps > 0) {
            ratio *= Math.min(1.0, warmupAlpha + step * (1.0 - warmupAlpha) / warmupSteps);
          }
        }
        case "rsqrt_decay" -> {
          double shift = timescale - warmupSteps;
          ratio *= warmupSteps < step ? Math.sqrt(timescale) / Math.sqrt(step + shift) : 1.0;
        }
        case "linear_decay" -> {
          long total = totalSteps.getAsLong();
          double progress = Math.max(0.0, (step - warmupSteps) / (double) (total - warmupSteps));
          ratio -= endLearningRate;
          ratio *= Math.max(1.0 - progress, 0.0);
          ratio += endLearningRate;
        }
        case "cosine_decay" -> {
          long cycle = stepsPerCycle.getAsLong();
          double adjusted = Math.max(0.0, step - (double) warmupSteps);
          double total = totalSteps.isPresent() ? totalSteps.getAsLong() : cycle;
          // Scenic shortens each cycle by the warmup share of that cycle.
          double effectiveCycle = cycle - (long) (warmupSteps / (total / cycle));
          double progress = adjusted / effectiveCycle;
          progress -= Math.floor(progress);
          double cosine = Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
          ratio *= (1 - alpha) * cosine + alpha;
        }
        default -> throw new IllegalStateException("unsupported factor " + name);
      }
    }
    return ratio;
  }

  /** Reads the {@value #KEY} block (marking its keys as used). */
  static LrConfig read(ConfigNode l) {
    l.requireKnownKeys(KEYS);
    Optional<String> schedule = l.optString("learning_rate_schedule");
    if (schedule.isPresent() && !schedule.get().equals(LrConfig.COMPOUND)) {
      throw l.error(
          "learning_rate_schedule", "Scenic knows only 'compound', got '" + schedule.get() + "'");
    }
    List<String> factors;
    if (schedule.isPresent()) {
      String f = l.optString("factors").orElseThrow(() -> l.missing("factors", "a string"));
      factors = Arrays.stream(f.split("\\*")).map(String::trim).collect(Collectors.toList());
      for (String name : factors) {
        if (!LrConfig.SUPPORTED_FACTORS.contains(name)) {
          throw l.error("factors", ConfigNode.unknownValue(name, SUPPORTED_FACTORS));
        }
      }
    } else {
      // Without a schedule Scenic uses base_learning_rate as a constant.
      factors = List.of("constant");
      if (l.has("factors")) {
        throw l.error("factors", "needs learning_rate_schedule: 'compound'");
      }
    }
    double base =
        l.optDouble("base_learning_rate")
            .orElseThrow(() -> l.missing("base_learning_rate", "a number"));
    long warmup = l.optLong("warmup_steps").orElse(0);
    OptionalLong total = l.optLong("total_steps");
    double end = l.doubleOr("end_learning_rate", 0.0);
    OptionalLong cycle = l.optLong("steps_per_cycle");
    double warmupAlpha = l.doubleOr("warmup_alpha", 0.0);
    double alpha = l.doubleOr("alpha", 0.0);
    double timescale = l.doubleOr("timescale", LrConfig.TIMESCALE_DEFAULT);
    if (factors.contains("linear_decay") && total.isEmpty()) {
      throw l.missing("total_steps", "an integer, needed by factor linear_decay");
    }
    if (factors.contains("cosine_decay") && cycle.isEmpty()) {
      throw l.missing("steps_per_cycle", "an integer, needed by factor cosine_decay");
    }
    return l.construct(
        () ->
            new LrConfig(
                LrConfig.COMPOUND,
                factors,
                base,
                warmup,
                total,
                end,
                cycle,
                warmupAlpha,
                alpha,
                timescale));
  }
}
