package dev.tokenlearner.checkpoint.orbax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonDocumentTest {

  private static Map<?, ?> parse(String json) throws CheckpointFormatException {
    return JsonDocument.parseObject(
        json.getBytes(StandardCharsets.UTF_8), Path.of("x/.zarray"), "metadata");
  }

  @Test
  void parseObject_numbers_narrowestType() throws CheckpointFormatException {
    Map<?, ?> m = parse("{\"i\": 7, \"l\": 5000000000, \"b\": 99999999999999999999, \"d\": 0.5}");
    assertEquals(7, m.get("i"));
    assertEquals(5_000_000_000L, m.get("l"));
    assertEquals(new BigInteger("99999999999999999999"), m.get("b"));
    assertEquals(0.5, m.get("d"));
  }

  @Test
  void parseObject_exponentBeyondIntRange_readsAsDoubleLimit() throws CheckpointFormatException {
    // BigDecimal refuses such exponents with an unchecked NumberFormatException (a fuzz finding).
    Map<?, ?> m = parse("{\"big\": 4e24444444447, \"tiny\": 4e-24444444447, \"x\": [1E3]}");
    assertEquals(Double.POSITIVE_INFINITY, m.get("big"));
    assertEquals(0.0, m.get("tiny"));
    assertEquals(List.of(1000.0), m.get("x"));
  }

  @Test
  void parseObject_notAnObject_typedErrorNamingFile() {
    CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> parse("[1]"));
    assertTrue(e.getMessage().contains("x/.zarray"), e.getMessage());
    assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
  }
}
