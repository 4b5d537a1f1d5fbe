package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.InvalidInputException;
import org.junit.jupiter.api.Test;

class ProfileBenchTest {

  @Test
  void config_findsAnyStandardConfigByName() {
    BenchConfig c = ProfileBench.config("b/16 TL16@9+fuser");
    assertEquals("B/16 tl16@9+fuser", c.name());
    assertEquals(16, c.model().tokenizer().numTokens());
    assertTrue(c.model().tokenizer().useTokenfuse());
  }

  @Test
  void config_unknownName_namesTheChoices() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ProfileBench.config("Ti/16 tl3@1"));
    assertTrue(e.getMessage().contains("'Ti/16 tl3@1'"), e.getMessage());
    assertTrue(e.getMessage().contains("Ti/16 tl8@6+fuser"), e.getMessage());
  }

  @Test
  void slug_isAFileName() {
    assertEquals("ti16-tl8at6-fuser", ProfileBench.slug("Ti/16 tl8@6+fuser"));
    assertEquals("b16", ProfileBench.slug("B/16"));
  }

  @Test
  void options_needSomethingToProfile() {
    BenchConfig c = ProfileBench.config("Ti/16");
    assertThrows(
        InvalidInputException.class,
        () -> new ProfileBench.Options(c, 0, 0, 2, 5, false, java.nio.file.Path.of("x")));
    assertThrows(
        InvalidInputException.class,
        () -> new ProfileBench.Options(c, 8, 0, 2, 0, false, java.nio.file.Path.of("x")));
  }
}
