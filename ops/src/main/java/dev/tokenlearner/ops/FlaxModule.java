package dev.tokenlearner.ops;

/**
 * A layer that Flax would auto-name: its class name is the prefix of unnamed instances ({@code
 * Dense_0}, {@code Dense_1}). {@link ModuleScope#child(FlaxModule)} asks the layer itself, so a
 * caller cannot give a module another class's name.
 */
public interface FlaxModule {

  /** Flax's class name of this layer, e.g. {@code Dense} or {@code TokenLearnerModuleV11}. */
  String flaxName();
}
