package dev.tokenlearner.config;

import java.util.Collections;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;

/**
 * The optimizer Scenic builds from a config's {@code optimizer}, {@code optimizer_configs} and
 * {@code skip_scale_and_bias_regularization} keys, after {@code get_optax_optimizer_config}'s
 * backwards-compatibility rules ({@link #of}).
 *
 * @param kind the optax optimizer
 * @param configs its hyper-parameters as Scenic hands them to optax: {@code momentum} is filled in
 *     with 0.9 for optimizer {@code momentum} or {@code nesterov} when unset, and {@code nesterov}
 *     is true for optimizer {@code nesterov}; for {@link OptimizerKind#SGD} an empty {@code
 *     momentum} is optax's {@code identity} (no trace slot)
 * @param skipScaleAndBiasRegularization {@code skip_scale_and_bias_regularization}: {@code sgd}'s
 *     {@code weight_decay} leaves rank-1 parameters (LayerNorm scales, biases) alone, as Scenic's
 *     optax mask {@code x.ndim != 1} does; {@code adamw} decays everything regardless, as in Scenic
 */
public record OptimizerSpec(
    OptimizerKind kind, OptimizerConfigs configs, boolean skipScaleAndBiasRegularization) {

  /** The top-level key naming the optimizer. */
  public static final String KEY = "optimizer";

  /** Top-level config key of {@link #skipScaleAndBiasRegularization()}. */
  public static final String SKIP_SCALE_AND_BIAS = "skip_scale_and_bias_regularization";

  /** Default {@code optimizer}. */
  public static final String DEFAULT = "adam";

  /** flax.optim-era names Scenic still accepts and rewrites to {@code sgd}. */
  static final Set<String> SCENIC_ALIASES = Set.of("momentum", "nesterov");

  /** Checks that no field is null. */
  public OptimizerSpec {
    if (kind == null || configs == null) {
      throw new IllegalArgumentException("optimizer fields must not be null");
    }
  }

  /**
   * Names accepted in {@code optimizer}: every {@link OptimizerKind} and Scenic's aliases.
   *
   * @return the names, sorted
   */
  public static Set<String> names() {
    Set<String> names = new TreeSet<>(SCENIC_ALIASES);
    for (OptimizerKind k : OptimizerKind.values()) {
      names.add(k.scenicName());
    }
    return Collections.unmodifiableSet(names);
  }

  /**
   * Scenic's {@code get_optax_optimizer_config}: {@code adam} with a {@code weight_decay} becomes
   * {@code adamw}; {@code momentum} and {@code nesterov} become {@code sgd} with momentum (0.9, as
   * flax.optim's default, when unset), {@code nesterov} with the Nesterov flag.
   *
   * @param name the config's {@code optimizer}
   * @param configs the config's {@code optimizer_configs}
   * @param skipScaleAndBiasRegularization the config's {@code skip_scale_and_bias_regularization}
   * @return the optimizer
   * @throws ConfigValueException naming {@code optimizer} if the name is unknown
   */
  public static OptimizerSpec of(
      String name, OptimizerConfigs configs, boolean skipScaleAndBiasRegularization) {
    if (!names().contains(name)) {
      throw new ConfigValueException(KEY, unknownName(name));
    }
    OptimizerKind kind =
        switch (name) {
          case "adam" ->
              configs.weightDecay().isPresent() ? OptimizerKind.ADAMW : OptimizerKind.ADAM;
          case "momentum", "nesterov" -> OptimizerKind.SGD;
          default -> OptimizerKind.fromScenicName(name);
        };
    OptionalDouble momentum =
        SCENIC_ALIASES.contains(name) && configs.momentum().isEmpty()
            ? OptionalDouble.of(OptimizerConfigs.MOMENTUM_DEFAULT)
            : configs.momentum();
    boolean nesterov = configs.nesterov() || name.equals("nesterov");
    return new OptimizerSpec(
        kind,
        new OptimizerConfigs(
            configs.beta1(),
            configs.beta2(),
            configs.epsilon(),
            configs.weightDecay(),
            momentum,
            nesterov),
        skipScaleAndBiasRegularization);
  }

  /**
   * Reads {@code optimizer}, {@code optimizer_configs} and {@code
   * skip_scale_and_bias_regularization} under a config's root (marking them as used).
   *
   * @param root the document's root node
   * @return the optimizer; Scenic's default {@code adam} when the keys are absent
   * @throws ConfigException naming the dotted key of an unknown name, key or a bad value
   */
  static OptimizerSpec read(ConfigNode root) {
    String name = root.optString(KEY).orElse(DEFAULT);
    if (!names().contains(name)) {
      throw root.error(KEY, unknownName(name));
    }
    OptimizerConfigs configs =
        root.child(OptimizerConfigs.KEY)
            .map(OptimizerConfigs::read)
            .orElse(OptimizerConfigs.defaults());
    boolean skip = root.boolOr(SKIP_SCALE_AND_BIAS, false);
    try {
      return of(name, configs, skip);
    } catch (ConfigValueException e) {
      throw root.error(e.key(), e.problem());
    }
  }

  private static String unknownName(String name) {
    String hint =
        DidYouMean.suggest(name, names()).map(s -> "did you mean '" + s + "'? ").orElse("");
    return "unknown value '" + name + "'; " + hint + "allowed: " + names();
  }

  /**
   * The decay of {@code weight_decay}.
   *
   * @return the configured value, or 0 for none
   */
  public double weightDecay() {
    return configs.weightDecay().orElse(0.0);
  }
}
