package dev.tokenlearner.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Locates the Scenic reference fixtures (testdata/fixtures) and parses their text files for tests.
 */
public final class Fixtures {

  /** Fixture sets whose checkpoint is one Flax msgpack file. */
  public static final List<String> MSGPACK_SETS =
      List.of(
          "tiny_v11",
          "tiny_v1_fuser",
          "tiny_patch",
          "tiny_chunked",
          "small_b16like",
          "tiny_legacy_optim",
          "tiny_video_3dconv",
          "tiny_rect",
          "tiny_rect_fuser",
          "tiny_v1_wide");

  private static final Pattern MANIFEST_LINE = Pattern.compile("(\\S+) (\\S+) \\[([0-9, ]*)\\]");

  private Fixtures() {}

  /** The fixtures folder: {@code tokenlearner.testdata} property, else {@code ../testdata}. */
  public static Path root() {
    String testdata = System.getProperty("tokenlearner.testdata");
    return (testdata != null ? Path.of(testdata) : Path.of("../testdata")).resolve("fixtures");
  }

  /** One fixture set's folder. */
  public static Path set(String name) {
    return root().resolve(name);
  }

  /** One line of {@code params_manifest.txt}. */
  public record ManifestEntry(String dtype, long[] shape) {
    @Override
    public String toString() {
      return dtype + Arrays.toString(shape);
    }
  }

  /** {@code params_manifest.txt} in file order: path to dtype and shape. */
  public static Map<String, ManifestEntry> manifest(String set) throws IOException {
    Map<String, ManifestEntry> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(set(set).resolve("params_manifest.txt"))) {
      if (line.isBlank()) {
        continue;
      }
      Matcher m = MANIFEST_LINE.matcher(line.strip());
      if (!m.matches()) {
        throw new IllegalStateException("unparsable manifest line: " + line);
      }
      String dims = m.group(3).strip();
      long[] shape =
          dims.isEmpty()
              ? new long[0]
              : Arrays.stream(dims.split(","))
                  .map(String::strip)
                  .mapToLong(Long::parseLong)
                  .toArray();
      out.put(m.group(1), new ManifestEntry(m.group(2), shape));
    }
    return out;
  }

  /** config.json of a fixture set as nested maps. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> config(String set) throws IOException {
    Load load = new Load(LoadSettings.builder().build());
    return (Map<String, Object>)
        load.loadFromString(Files.readString(set(set).resolve("config.json")));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> fixtureBlock(String set) throws IOException {
    return (Map<String, Object>) config(set).get("fixture");
  }

  /** {@code fixture.global_step} from config.json. */
  public static long globalStep(String set) throws IOException {
    return ((Number) fixtureBlock(set).get("global_step")).longValue();
  }

  /** The checkpoint named by {@code fixture.checkpoint}. */
  public static Path checkpoint(String set) throws IOException {
    return set(set).resolve((String) fixtureBlock(set).get("checkpoint"));
  }

  /** {@code fixture.params_path} from config.json. */
  public static String paramsPath(String set) throws IOException {
    return (String) fixtureBlock(set).get("params_path");
  }

  /** {@code fixture.max_chunk_size_bytes} from config.json. */
  public static long maxChunkBytes(String set) throws IOException {
    return ((Number) fixtureBlock(set).get("max_chunk_size_bytes")).longValue();
  }

  /** Top-level {@code num_classes} from config.json. */
  public static int numClasses(String set) throws IOException {
    return ((Number) config(set).get("num_classes")).intValue();
  }
}
