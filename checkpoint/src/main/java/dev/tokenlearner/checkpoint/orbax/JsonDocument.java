package dev.tokenlearner.checkpoint.orbax;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the small JSON documents of an Orbax checkpoint with Gson (strict JSON, nesting bounded)
 * into plain Java values: {@code Map} (keys in file order), {@code List}, {@code String}, {@code
 * Boolean}, {@code null}, and numbers as {@code Integer}, {@code Long} or {@code BigInteger} when
 * written without a fraction or exponent, else {@code Double}.
 */
final class JsonDocument {

  /** Nesting deeper than this is corruption: Orbax metadata is a few levels deep. */
  private static final int MAX_NESTING = 255;

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
    JsonElement doc;
    try (JsonReader reader = new JsonReader(new StringReader(text))) {
      reader.setStrictness(Strictness.STRICT);
      reader.setNestingLimit(MAX_NESTING);
      doc = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new JsonParseException("text after the document");
      }
    } catch (JsonParseException | IOException | IllegalStateException e) {
      throw new CheckpointFormatException(
          file, what + ": not valid JSON (" + firstLine(e.getMessage()) + ")", e);
    }
    if (!(doc instanceof JsonObject object)) {
      throw new CheckpointFormatException(
          file,
          what
              + ": expected a JSON object, found "
              + (doc.isJsonNull() ? "null" : toJava(doc).getClass().getSimpleName()));
    }
    return toMap(object);
  }

  private static Map<String, Object> toMap(JsonObject object) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : object.entrySet()) {
      out.put(e.getKey(), toJava(e.getValue()));
    }
    return out;
  }

  private static Object toJava(JsonElement e) {
    if (e.isJsonNull()) {
      return null;
    }
    if (e instanceof JsonObject o) {
      return toMap(o);
    }
    if (e instanceof JsonArray a) {
      List<Object> out = new ArrayList<>(a.size());
      for (JsonElement x : a) {
        out.add(toJava(x));
      }
      return out;
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isString()) {
      return p.getAsString();
    }
    return number(p.getAsNumber().toString());
  }

  /** A JSON number as the narrowest of Integer, Long, BigInteger; Double if not integral text. */
  private static Object number(String text) {
    if (text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0) {
      // Double's parser, not BigDecimal's: an exponent beyond int range reads as 0 or infinity
      // instead of throwing NumberFormatException.
      return Double.parseDouble(text);
    }
    BigInteger b = new BigInteger(text);
    if (b.bitLength() < 32) {
      return b.intValue();
    }
    if (b.bitLength() < 64) {
      return b.longValue();
    }
    return b;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
