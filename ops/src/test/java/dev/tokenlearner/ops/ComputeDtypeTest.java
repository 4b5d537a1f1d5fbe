package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ComputeDtypeTest {

  @Test
  void of_float16_isFloat16() {
    assertEquals(ComputeDtype.FLOAT16, ComputeDtype.of("float16"));
  }

  @Test
  void computeDtype_unknownName_listsChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ComputeDtype.of("float64"));
    assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    assertEquals(ComputeDtype.BFLOAT16, ComputeDtype.of("bfloat16"));
  }
}
