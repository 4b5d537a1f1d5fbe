package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ViTSize;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigMatrixTest {

  private static List<String> names(List<BenchConfig> configs) {
    return configs.stream().map(BenchConfig::name).toList();
  }

  @Test
  void standard_perSize_plainPlusEightTokenLearnerVariants() {
    List<BenchConfig> all = ConfigMatrix.standard(List.of(ViTSize.TI, ViTSize.B), 224);
    assertEquals(18, all.size());
    assertEquals(
        List.of(
            "Ti/16",
            "Ti/16 tl8@6",
            "Ti/16 tl8@6+fuser",
            "Ti/16 tl8@9",
            "Ti/16 tl8@9+fuser",
            "Ti/16 tl16@6",
            "Ti/16 tl16@6+fuser",
            "Ti/16 tl16@9",
            "Ti/16 tl16@9+fuser"),
        names(all.subList(0, 9)));
    BenchConfig c = all.get(13); // B/16 tl8@9+fuser
    assertEquals("B/16 tl8@9+fuser", c.name());
    assertEquals("B/16", c.plainName());
    assertEquals(9, c.model().tokenizer().tokenlearnerLoc());
    assertEquals(8, c.model().tokenizer().numTokens());
    assertTrue(c.model().tokenizer().useTokenfuse());
    assertTrue(c.model().tokenizer().useV11());
    assertEquals(768, c.model().hiddenSize());
    assertTrue(all.get(9).isPlain());
    assertFalse(c.isPlain());
  }

  @Test
  void filter_keepsMatchesAndTheirPlainBaselines() {
    List<BenchConfig> all = ConfigMatrix.standard(List.of(ViTSize.TI, ViTSize.S), 224);
    assertEquals(
        List.of("S/16", "S/16 tl8@6+fuser", "S/16 tl16@6+fuser"),
        names(ConfigMatrix.filter(all, List.of("S/16*@6+fuser"))));
    assertEquals(
        List.of("Ti/16", "Ti/16 tl16@9"), names(ConfigMatrix.filter(all, List.of("ti/16 TL16@9"))));
    assertEquals(
        List.of(
            "Ti/16",
            "Ti/16 tl8@9+fuser",
            "Ti/16 tl16@9+fuser",
            "S/16",
            "S/16 tl8@9+fuser",
            "S/16 tl16@9+fuser"),
        names(ConfigMatrix.filter(all, List.of("*@9+fuser"))));
    assertEquals(all, ConfigMatrix.filter(all, List.of()));
  }

  @Test
  void filter_patternMatchingNothing_throwsNamingIt() {
    List<BenchConfig> all = ConfigMatrix.standard(List.of(ViTSize.TI), 224);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ConfigMatrix.filter(all, List.of("L/16")));
    assertTrue(e.getMessage().contains("'L/16'"), e.getMessage());
  }

  @Test
  void tokenLearner_locOutsideEncoder_throws() {
    assertThrows(
        IllegalArgumentException.class,
        () -> BenchConfig.tokenLearner(ViTSize.TI, 16, 224, 8, 12, false));
  }
}
