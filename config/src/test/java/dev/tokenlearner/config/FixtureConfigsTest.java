package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The fixtures' config.json files are JSON; they must load through the YAML loader unchanged. */
class FixtureConfigsTest {

  static java.util.stream.Stream<String> fixtureNames() {
    return Fixtures.names();
  }

  @Test
  void fixtures_present_atLeastNine() {
    assertTrue(Fixtures.configDirs().size() >= 9, "fixtures under " + Fixtures.root());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtureNames")
  void load_fixtureConfigJson_matchesJsonValues(String name) throws IOException {
    Path file = Fixtures.root().resolve(name).resolve("config.json");
    ExperimentConfig c = ConfigLoader.load(file);

    // Compare against the document itself, read back through the raw map.
    @SuppressWarnings("unchecked")
    Map<String, Object> model = (Map<String, Object>) c.raw().get("model");
    @SuppressWarnings("unchecked")
    Map<String, Object> tok = (Map<String, Object>) model.get("tokenizer");
    assertEquals(((Number) model.get("hidden_size")).intValue(), c.model().hiddenSize());
    assertEquals(((Number) model.get("num_heads")).intValue(), c.model().numHeads());
    assertEquals(((Number) model.get("mlp_dim")).intValue(), c.model().mlpDim());
    assertEquals(((Number) model.get("num_layers")).intValue(), c.model().numLayers());
    assertEquals(model.get("classifier"), c.model().classifier().scenicName());
    Object rep = model.get("representation_size");
    assertEquals(
        rep == null ? OptionalInt.empty() : OptionalInt.of(((Number) rep).intValue()),
        c.model().representationSize());
    assertEquals(tok.get("type"), c.model().tokenizer().type().scenicName());
    assertEquals(((Number) tok.get("num_tokens")).intValue(), c.model().tokenizer().numTokens());
    assertEquals(
        ((Number) tok.get("tokenlearner_loc")).intValue(), c.model().tokenizer().tokenlearnerLoc());
    assertEquals(tok.get("use_tokenfuse"), c.model().tokenizer().useTokenfuse());
    assertEquals(tok.get("use_v11"), c.model().tokenizer().useV11());
    assertEquals(((Number) c.raw().get("num_classes")).intValue(), c.numClasses());
    assertEquals(c.raw().get("model_name"), c.modelName().scenicName());
    assertEquals(0.0, c.model().dropoutRate());

    @SuppressWarnings("unchecked")
    List<Number> shape =
        (List<Number>) ((Map<String, Object>) c.raw().get("fixture")).get("input_shape");
    long[] expected = shape.stream().mapToLong(Number::longValue).toArray();
    expected[0] = 2;
    assertArrayEquals(expected, c.input().shape(2));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtureNames")
  void load_fixtureConfigJson_listsFixtureBlockAsUnused(String name) throws IOException {
    ExperimentConfig c = ConfigLoader.load(Fixtures.root().resolve(name).resolve("config.json"));
    assertTrue(c.unusedKeys().contains("fixture.name"), c.unusedKeys().toString());
    assertTrue(c.unusedKeys().contains("fixture.checkpoint"), c.unusedKeys().toString());
    // Read keys are not listed.
    assertFalse(c.unusedKeys().contains("fixture.input_shape"));
    assertFalse(c.unusedKeys().contains("model.hidden_size"));
    assertFalse(c.unusedKeys().contains("model.representation_size"));
    assertTrue(c.warnings().isEmpty(), c.warnings().toString());
  }

  @Test
  void load_videoFixture_derivesTwoTimeStepsOfSixteenPatches() throws IOException {
    ExperimentConfig c =
        ConfigLoader.load(Fixtures.root().resolve("tiny_video_3dconv").resolve("config.json"));
    // Input [2, 4, 16, 16, 3], patches [4, 4, 2]: T' = 4 / 2, 16 / 4 = 4 rows and columns.
    assertEquals(new TokenGrid(4, 4, 2, 16, 32), c.tokenGrid());
    assertArrayEquals(new int[] {4, 4, 2}, c.model().tokenizer().patchSize());
    assertEquals(
        TemporalEncodingMethod.THREE_D_CONV,
        c.model().tokenizer().temporalEncoding().orElseThrow().method());
    assertEquals(Classifier.GSP, c.model().classifier());
    assertEquals(8, c.encodedLength()); // 2 time steps x 4 tokens
  }
}
