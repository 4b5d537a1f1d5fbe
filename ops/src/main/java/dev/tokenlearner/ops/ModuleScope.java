package dev.tokenlearner.ops;

import com.google.common.base.Preconditions;
import java.util.HashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A module's place in the Flax parameter tree, and the TF name scope of the ops it emits.
 *
 * <p>Mirrors Flax's naming: {@link #child(String)} gives an unnamed submodule the name {@code
 * ClassName_n}, with one counter per class name per parent; {@link #named(String)} gives an
 * explicit name and does not advance any counter. Parameters created with {@link #param} become
 * variables whose op names are their Flax paths joined with '/'.
 *
 * <p>A scope is created once per module application: calling {@code child("Dense")} twice on the
 * same scope yields {@code Dense_0} and {@code Dense_1}.
 */
public final class ModuleScope {

  private final Ops tf;
  private final String path;
  private final ParameterStore store;
  private final Operand<TInt64> rngKey;
  private final Map<String, Integer> counters = new HashMap<>();

  private ModuleScope(Ops tf, String path, ParameterStore store, Operand<TInt64> rngKey) {
    this.tf = tf;
    this.path = path;
    this.store = store;
    this.rngKey = rngKey;
  }

  /**
   * The root of a parameter tree.
   *
   * @param store where parameters are registered; its ops are the graph's root
   * @param rngKey an int64 {@code [2]} key from which dropout masks are derived (e.g. {@code [seed,
   *     step]}); may be null for graphs that are never built in training mode
   */
  public static ModuleScope root(ParameterStore store, Operand<TInt64> rngKey) {
    return new ModuleScope(store.tf(), "", store, rngKey);
  }

  /** The root of a parameter tree with no random key (inference graphs). */
  public static ModuleScope root(ParameterStore store) {
    return root(store, null);
  }

  /**
   * An auto-named child: {@code className_n}, {@code n} counting this parent's unnamed children of
   * that class.
   */
  public ModuleScope child(String className) {
    int n = counters.merge(className, 1, Integer::sum) - 1;
    return enter(className + "_" + n);
  }

  /** An explicitly named child ({@code name='...'} in Flax); counters are not advanced. */
  public ModuleScope named(String name) {
    return enter(name);
  }

  private ModuleScope enter(String name) {
    Preconditions.checkArgument(
        name.matches("[A-Za-z0-9.][A-Za-z0-9_.\\-]*"), "invalid module name '%s'", name);
    return new ModuleScope(tf.withSubScope(name), path.isEmpty() ? name : path + "/" + name, store, rngKey);
  }

  /**
   * Declares a parameter of this module.
   *
   * @param name the leaf name ({@code kernel}, {@code bias}, {@code scale}, {@code pos_embedding})
   * @param shape its shape
   * @param initializer how a fresh model initialises it
   * @return the parameter's value (the variable read through {@code Identity})
   */
  public Operand<TFloat32> param(String name, long[] shape, Initializer initializer) {
    String p = path.isEmpty() ? name : path + "/" + name;
    return store.create(tf, p, name, shape, initializer).value();
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
    return store;
  }

  /**
   * A fresh stateless-random seed ({@code int32 [2]}) for one random site (a dropout mask), derived
   * from the root key so that the same key gives the same masks. The seed is int32 because XLA
   * compiles stateless random ops only with int32 seeds; the key's values are truncated to 32 bits.
   *
   * @throws IllegalStateException if the root was created without a key
   */
  public Operand<TInt32> nextSeed() {
    Preconditions.checkState(
        rngKey != null, "%s: training-mode randomness needs a root rng key", describe());
    long site = store.nextRandomSite() + 1;
    return tf.dtypes.cast(
        tf.math.add(rngKey, tf.constant(new long[] {site * 1_000_003L, 0L})), TInt32.class);
  }
}
