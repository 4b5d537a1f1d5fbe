package dev.tokenlearner.config;

/**
 * A config record's validation failure, naming the key at fault relative to the record's place in
 * the document (e.g. {@code num_heads} for {@link ModelConfig}). {@link ConfigLoader} turns it into
 * a {@link ConfigException} with the full dotted key and the source file, so each rule is written
 * once, in the record.
 */
public final class ConfigValueException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * Creates an exception whose message is {@code "<key>: <problem>"}.
   *
   * @param key the key at fault, relative to the record (dotted for nested keys)
   * @param problem what is wrong, with the value found
   */
  public ConfigValueException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  /**
   * Returns the key at fault.
   *
   * @return the key, relative to the record that threw
   */
  public String key() {
    return key;
  }

  /**
   * Returns the problem without the key.
   *
   * @return what is wrong
   */
  public String problem() {
    return getMessage().substring(key.length() + 2);
  }
}
