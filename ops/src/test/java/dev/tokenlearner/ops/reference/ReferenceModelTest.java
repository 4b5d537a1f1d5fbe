package dev.tokenlearner.ops.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the whole-model {@link Reference#forward} against the Scenic fixtures in
 * testdata/fixtures, whose expected outputs come from an independent float64 implementation that
 * agrees with Flax.
 */
class ReferenceModelTest {

  /** The fixtures' outputs are float32; the reference computes in double. */
  private static final double TOLERANCE = 1e-5;

  /** Records which keys a computation read, so unused checkpoint entries show up. */
  private static final class RecordingMap extends TreeMap<String, HostArray> {
    final Set<String> read = new TreeSet<>();

    RecordingMap(Map<String, HostArray> params) {
      super(params);
    }

    @Override
    public HostArray get(Object key) {
      read.add((String) key);
      return super.get(key);
    }
  }

  private record Fixture(
      ReferenceConfig config, Map<String, HostArray> params, Nd input, Path dir) {}

  private static Fixture load(String name) throws IOException {
    Path dir = FixtureFiles.fixturesRoot().resolve(name);
    return new Fixture(
        FixtureFiles.readConfig(dir.resolve("config.json")),
        FixtureFiles.readParams(FixtureFiles.checkpointFile(dir)),
        Nd.fromFloat(FixtureFiles.readNpy(dir.resolve("input.npy"))),
        dir);
  }

  private static void assertClose(HostArray expected, Nd actual, String what) {
    assertArrayEquals(expected.shape(), actual.longShape(), what + " shape");
    double diff = actual.maxAbsDiff(expected);
    assertTrue(diff <= TOLERANCE, what + " max abs diff " + diff + " > " + TOLERANCE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.tokenlearner.ops.reference.FixtureFiles#msgpackSets")
  void forward_fixture_matchesExpectedOutputs(String name) throws IOException {
    Fixture f = load(name);

    Reference.Output out = Reference.forward(f.input(), f.params(), f.config());

    assertClose(
        FixtureFiles.readNpy(f.dir().resolve("expected_encoded.npy")),
        out.encoded(),
        name + " encoded");
    assertClose(
        FixtureFiles.readNpy(f.dir().resolve("expected_pooled.npy")),
        out.pooled(),
        name + " pooled");
    assertClose(
        FixtureFiles.readNpy(f.dir().resolve("expected_logits.npy")),
        out.logits(),
        name + " logits");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tiny_v11", "tiny_v1_fuser", "tiny_patch", "tiny_video_3dconv"})
  void forward_fixture_readsEveryCheckpointParameter(String name) throws IOException {
    Fixture f = load(name);
    RecordingMap params = new RecordingMap(f.params());

    Reference.forward(f.input(), params, f.config());

    // Every checkpoint key is read and nothing else is asked for, so the names the reference
    // uses are exactly Scenic's.
    assertEquals(f.params().keySet(), params.read);
  }
}
