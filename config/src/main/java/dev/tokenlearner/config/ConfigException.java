package dev.tokenlearner.config;

import dev.tokenlearner.core.UserError;

/**
 * A configuration that cannot be used: a misspelt, missing or mistyped key, or values that
 * contradict each other. The message names the source (file or resource) and the dotted key.
 */
public final class ConfigException extends IllegalArgumentException implements UserError {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String key;

  /**
   * Creates an exception whose message is {@code "<source>: <key>: <problem>"}.
   *
   * @param source the file, resource or other origin of the configuration
   * @param key the dotted key at fault, e.g. {@code model.num_heads}; empty when the whole document
   *     is at fault
   * @param problem what is wrong, with the value found
   */
  public ConfigException(String source, String key, String problem) {
    super(key.isEmpty() ? source + ": " + problem : source + ": " + key + ": " + problem);
    this.source = source;
    this.key = key;
  }

  /**
   * Creates an exception caused by a lower-level failure (e.g. a YAML syntax error).
   *
   * @param source the file, resource or other origin of the configuration
   * @param problem what is wrong
   * @param cause the underlying failure
   */
  public ConfigException(String source, String problem, Throwable cause) {
    super(source + ": " + problem, cause);
    this.source = source;
    this.key = "";
  }

  /**
   * Returns the origin of the configuration.
   *
   * @return the file, resource or other origin named in the message
   */
  public String source() {
    return source;
  }

  /**
   * Returns the dotted key at fault.
   *
   * @return the key, or an empty string when the whole document is at fault
   */
  public String key() {
    return key;
  }
}
