package dev.tokenlearner.ops;

import java.util.HashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * A module's place in the Flax parameter tree, and the TF name scope of the ops it emits.
 *
 * <p>Mirrors Flax's naming: {@link #child(FlaxModule)} gives an unnamed submodule the name {@code
 * ClassName_n}, with one counter per class name per parent; {@link #named(String)} gives an
 * explicit name and does not advance any counter. Parameters created with {@link #param} become
 * variables whose op names are their Flax paths joined with '/'; a module's ops are named below its
 * path (below {@code <tower>/<path>} in a {@linkplain #tower tower} that reuses the variables).
 *
 * <p>A scope is single-use and not thread-safe: each module application gets its own scope, and
 * calling {@code child(dense)} twice on the same scope yields {@code Dense_0} and {@code Dense_1}.
 * Build a tree from one thread.
 */
public final class ModuleScope {

  /** What all scopes of one tree share: the store, the random key and the random-site counter. */
  private static final class Tree {
    private final ParameterStore store;
    private final Ops ops;
    private final boolean reuse;
    private final Operand<TInt64> rngKey;
    private long randomSites;

    Tree(ParameterStore store, Ops ops, boolean reuse, Operand<TInt64> rngKey) {
      this.store = store;
      this.ops = ops;
      this.reuse = reuse;
      this.rngKey = rngKey;
    }
  }

  private final Tree tree;
  private final String path;
  private final Ops tf;
  private final Map<String, Integer> counters = new HashMap<>();

  private ModuleScope(Tree tree, String path, Ops tf) {
    this.tree = tree;
    this.path = path;
    this.tf = tf;
  }

  /**
   * The root of a parameter tree whose parameters are created in {@code store}.
   *
   * @param store where parameters are registered; its ops are the graph's root
   * @param rngKey an int64 {@code [2]} key from which dropout masks are derived (e.g. {@code [seed,
   *     step]}); may be null for graphs that are never built in training mode
   */
  public static ModuleScope root(ParameterStore store, Operand<TInt64> rngKey) {
    return new ModuleScope(new Tree(store, store.tf(), false, rngKey), "", store.tf());
  }

  /** The root of a parameter tree with no random key (inference graphs). */
  public static ModuleScope root(ParameterStore store) {
    return root(store, null);
  }

  /**
   * The root of a second application of a model already built into {@code store}: its ops go below
   * {@code name}, and {@link #param} returns the existing variables instead of creating new ones
   * (e.g. an inference tower for evaluation beside the training tower).
   *
   * @param store the store holding the model's parameters
   * @param name the name scope of this tower's ops, e.g. {@code eval}
   * @param rngKey the random key, or null for an inference tower
   */
  public static ModuleScope tower(ParameterStore store, String name, Operand<TInt64> rngKey) {
    Ops ops = store.tf().withSubScope(name);
    return new ModuleScope(new Tree(store, ops, true, rngKey), "", ops);
  }

  /**
   * An auto-named child for {@code module}: {@code flaxName_n}, {@code n} counting this parent's
   * unnamed children of that class.
   */
  public ModuleScope child(FlaxModule module) {
    return child(module.flaxName());
  }

  /** An auto-named child of the given Flax class name. */
  ModuleScope child(String className) {
    int n = counters.merge(className, 1, Integer::sum) - 1;
    return enter(className + "_" + n);
  }

  /** An explicitly named child ({@code name='...'} in Flax); counters are not advanced. */
  public ModuleScope named(String name) {
    return enter(name);
  }

  private ModuleScope enter(String name) {
    if (!name.matches("[A-Za-z0-9.][A-Za-z0-9_.\\-]*")) {
      throw new IllegalArgumentException("invalid module name '" + name + "'");
    }
    String childPath = path.isEmpty() ? name : path + "/" + name;
    return new ModuleScope(tree, childPath, PathScope.at(tree.ops, childPath));
  }

  /**
   * Declares a parameter whose role its Flax leaf name implies ({@link ParameterRole#ofLeaf}).
   *
   * @throws IllegalArgumentException if the name implies no role
   * @see #param(String, ParameterRole, long[], Initializer)
   */
  public Operand<TFloat32> param(String name, long[] shape, Initializer initializer) {
    return param(name, ParameterRole.ofLeaf(name), shape, initializer);
  }

  /**
   * Declares a parameter of this module (or, in a {@linkplain #tower tower}, looks it up).
   *
   * @param name the leaf name ({@code kernel}, {@code bias}, {@code scale}, {@code pos_embedding})
   * @param role what the parameter is for
   * @param shape its shape
   * @param initializer how a fresh model initialises it
   * @return the parameter's value (the variable read through {@code Identity})
   * @throws IllegalStateException if the path is declared twice, or a tower asks for a parameter
   *     the store does not hold with that shape
   */
  public Operand<TFloat32> param(
      String name, ParameterRole role, long[] shape, Initializer initializer) {
    String p = path.isEmpty() ? name : path + "/" + name;
    return (tree.reuse
            ? tree.store.existing(p, shape)
            : tree.store.create(p, role, shape, initializer))
        .value();
  }

  /**
   * Declares a parameter (as {@link #param(String, ParameterRole, long[], Initializer)}) and
   * returns it in the compute dtype {@code type}: the float32 value itself for float32, else cast
   * where it is used, as Flax modules with {@code param_dtype=float32} and a lower compute dtype
   * do; the gradient flows back through the cast to the float32 variable.
   *
   * @param <T> the compute dtype
   */
  public <T extends TFloating> Operand<T> param(
      String name, ParameterRole role, long[] shape, Initializer initializer, Class<T> type) {
    return Precision.cast(tf, param(name, role, shape, initializer), type);
  }

  /** The ops of this module's name scope. */
  public Ops tf() {
    return tf;
  }

  /** This module's Flax path joined with '/' ({@code ""} at the root). */
  public String path() {
    return path;
  }

  /** A readable name for messages: the path, or {@code <root>}. */
  public String describe() {
    return path.isEmpty() ? "<root>" : path;
  }

  /** The registry this tree's parameters go to. */
  public ParameterStore store() {
    return tree.store;
  }

  /**
   * A fresh stateless-random seed ({@code int32 [2]}) for one random site (a dropout mask), derived
   * from the root key so that the same key gives the same masks. Sites are counted per tree. The
   * seed is int32 because XLA compiles stateless random ops only with int32 seeds; the key's values
   * are truncated to 32 bits.
   *
   * @throws IllegalStateException if the root was created without a key
   */
  public Operand<TInt32> nextSeed() {
    if (tree.rngKey == null) {
      throw new IllegalStateException(
          describe() + ": training-mode randomness needs a root rng key");
    }
    long site = ++tree.randomSites;
    return tf.dtypes.cast(
        tf.math.add(tree.rngKey, tf.constant(new long[] {site * 1_000_003L, 0L})), TInt32.class);
  }
}
