package dev.tokenlearner.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NaturalOrderTest {

  private static List<String> sorted(String... names) {
    List<String> l = new ArrayList<>(List.of(names));
    l.sort(NaturalOrder.INSTANCE);
    return l;
  }

  @Test
  void compare_flaxDocstringExamples_sortedNaturally() {
    // The two examples in flax.training.checkpoints.natural_sort's docstring.
    assertEquals(List.of("file_1", "file_2", "file_10"), sorted("file_1", "file_10", "file_2"));
    assertEquals(
        List.of("file_-0.2", "file_0.1", "file_2.0"), sorted("file_0.1", "file_-0.2", "file_2.0"));
  }

  @Test
  void compare_textBeforeNumbersAndPrefixes_likePythonListOrder() {
    assertEquals(List.of("a", "a_1", "a_1b", "b_0"), sorted("b_0", "a_1b", "a_1", "a"));
    assertEquals(List.of("checkpoint_2", "checkpoint_10"), sorted("checkpoint_10", "checkpoint_2"));
  }

  @Test
  void convertPreLinen_vitBlockNames_becomeLinenNames() {
    Map<String, Object> block = new LinkedHashMap<>();
    block.put("LayerNorm_0", "ln0");
    block.put("MultiHeadDotProductAttention_1", "mha");
    block.put("LayerNorm_2", "ln2");
    block.put("MlpBlock_3", Map.of("Dense_0", "d0", "Dense_1", "d1"));
    Map<String, Object> tree = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) {
      tree.put("encoderblock_" + i, block);
    }

    Map<String, Object> out = PreLinen.convert(tree);

    @SuppressWarnings("unchecked")
    Map<String, Object> b11 = (Map<String, Object>) out.get("encoderblock_11");
    assertEquals(12, out.size());
    assertEquals("ln0", b11.get("LayerNorm_0"));
    assertEquals("mha", b11.get("MultiHeadDotProductAttention_0"));
    assertEquals("ln2", b11.get("LayerNorm_1"));
    assertEquals(Map.of("Dense_0", "d0", "Dense_1", "d1"), b11.get("MlpBlock_0"));
  }

  @Test
  void convertPreLinen_sharedCounter_renumberedPerClassInNaturalOrder() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("Dense_10", "c");
    tree.put("Conv_0", "a");
    tree.put("Dense_2", "b");
    tree.put("bias", "x");

    Map<String, Object> out = PreLinen.convert(tree);

    assertEquals(List.of("Conv_0", "Dense_0", "Dense_1", "bias"), List.copyOf(out.keySet()));
    assertEquals("b", out.get("Dense_0"));
    assertEquals("c", out.get("Dense_1"));
  }
}
