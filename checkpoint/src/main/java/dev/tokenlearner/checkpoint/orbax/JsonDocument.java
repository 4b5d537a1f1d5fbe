package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.JsonSchema;

/** Parses the small JSON documents of an Orbax checkpoint (JSON is a subset of YAML 1.2). */
final class JsonDocument {

  /** Orbax tree metadata of large models runs to some megabytes. */
  private static final int MAX_CODE_POINTS = 256 << 20;

  private JsonDocument() {}

  /**
   * Parses {@code bytes} (UTF-8 JSON) whose top level must be an object.
   *
   * @param file the file the bytes came from, for messages
   * @param what what the document is, for messages
   */
  static Map<?, ?> parseObject(byte[] bytes, Path file, String what)
      throws CheckpointFormatException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new CheckpointFormatException(file, what + ": not UTF-8 text", e);
    }
    Object doc;
    try {
      LoadSettings settings =
          LoadSettings.builder()
              .setSchema(new JsonSchema())
              .setCodePointLimit(MAX_CODE_POINTS)
              .setMaxAliasesForCollections(0)
              .build();
      doc = new Load(settings).loadFromString(text);
    } catch (YamlEngineException | IllegalArgumentException e) {
      throw new CheckpointFormatException(
          file, what + ": not valid JSON (" + firstLine(e.getMessage()) + ")", e);
    }
    if (!(doc instanceof Map<?, ?> map)) {
      throw new CheckpointFormatException(
          file,
          what
              + ": expected a JSON object, found "
              + (doc == null ? "null" : doc.getClass().getSimpleName()));
    }
    return map;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
