package dev.tokenlearner.ops.reference;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ExtensionValue;
import org.msgpack.value.Value;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Minimal test-only readers for the Scenic fixtures in testdata/fixtures: the params tree of a Flax
 * msgpack checkpoint, {@code .npy} float32 arrays and {@code config.json}.
 *
 * <p>Only what the fixtures need: float32 ndarray leaves (msgpack ext type 1), Flax's {@code
 * __msgpack_chunked_array__} maps, and {@code params} or legacy {@code optimizer/target} layouts.
 */
public final class FixtureFiles {

  private static final String CHUNKED = "__msgpack_chunked_array__";

  /** Fixture sets whose checkpoint is one Flax msgpack file, each with expected outputs. */
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

  private FixtureFiles() {}

  /**
   * The msgpack fixture sets, as a JUnit {@code @MethodSource} ({@code
   * "dev.tokenlearner.ops.reference.FixtureFiles#msgpackSets"}).
   */
  public static Stream<String> msgpackSets() {
    return MSGPACK_SETS.stream();
  }

  /**
   * The fixtures folder, from the {@code tokenlearner.testdata} property or {@code ../testdata}.
   */
  public static Path fixturesRoot() {
    String testdata = System.getProperty("tokenlearner.testdata");
    Path root = testdata == null || testdata.isEmpty() ? Path.of("../testdata") : Path.of(testdata);
    return root.resolve("fixtures");
  }

  /** The single {@code checkpoint_<step>} file of a fixture folder. */
  public static Path checkpointFile(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      List<Path> found =
          files
              .filter(p -> p.getFileName().toString().matches("checkpoint_\\d+"))
              .filter(Files::isRegularFile)
              .toList();
      if (found.size() != 1) {
        throw new IOException(dir + ": expected one checkpoint_<step> file, found " + found);
      }
      return found.get(0);
    }
  }

  /**
   * Reads the params tree of a Flax msgpack checkpoint, flattened to {@code '/'}-joined paths.
   *
   * @param file a {@code checkpoint_<step>} file
   * @return parameters keyed by path, sorted
   */
  public static Map<String, HostArray> readParams(Path file) throws IOException {
    Value root;
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(Files.readAllBytes(file))) {
      root = u.unpackValue();
    }
    Value params = child(root, "params");
    if (params == null) {
      Value optimizer = child(root, "optimizer");
      params = optimizer == null ? null : child(optimizer, "target");
    }
    if (params == null || !params.isMapValue()) {
      throw new IOException(file + ": neither 'params' nor 'optimizer/target' holds a map");
    }
    Map<String, HostArray> out = new TreeMap<>();
    flatten(file, params, "", out);
    return out;
  }

  private static Value child(Value map, String key) {
    if (!map.isMapValue()) {
      return null;
    }
    for (Map.Entry<Value, Value> e : map.asMapValue().map().entrySet()) {
      if (e.getKey().isStringValue() && e.getKey().asStringValue().asString().equals(key)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static void flatten(Path file, Value node, String path, Map<String, HostArray> out)
      throws IOException {
    if (node.isExtensionValue()) {
      out.put(path, ndarray(file, path, node.asExtensionValue()));
      return;
    }
    if (!node.isMapValue()) {
      throw new IOException(file + ": " + path + " is " + node.getValueType() + ", not an array");
    }
    if (child(node, CHUNKED) != null) {
      out.put(path, chunked(file, path, node));
      return;
    }
    for (Map.Entry<Value, Value> e : node.asMapValue().map().entrySet()) {
      String key = e.getKey().asStringValue().asString();
      flatten(file, e.getValue(), path.isEmpty() ? key : path + "/" + key, out);
    }
  }

  private static HostArray ndarray(Path file, String path, ExtensionValue ext) throws IOException {
    if (ext.getType() != 1) {
      throw new IOException(file + ": " + path + " has ext type " + ext.getType() + ", expected 1");
    }
    Value payload;
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(ext.getData())) {
      payload = u.unpackValue();
    }
    List<Value> parts = payload.asArrayValue().list();
    String dtype = new String(parts.get(1).asRawValue().asByteArray(), StandardCharsets.UTF_8);
    if (!dtype.equals("float32")) {
      throw new IOException(file + ": " + path + " has dtype " + dtype + ", expected float32");
    }
    List<Value> dims = parts.get(0).asArrayValue().list();
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i).asIntegerValue().asLong();
    }
    byte[] raw = parts.get(2).asRawValue().asByteArray();
    float[] data = new float[raw.length / 4];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
    return new HostArray(shape, data);
  }

  private static HostArray chunked(Path file, String path, Value node) throws IOException {
    Value shapeMap = child(node, "shape");
    Value chunks = child(node, "chunks");
    if (shapeMap == null || chunks == null) {
      throw new IOException(file + ": chunked array " + path + " lacks 'shape' or 'chunks'");
    }
    int rank = shapeMap.asMapValue().size();
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = child(shapeMap, Integer.toString(i)).asIntegerValue().asLong();
    }
    List<float[]> pieces = new ArrayList<>();
    int total = 0;
    for (int i = 0; i < chunks.asMapValue().size(); i++) {
      Value c = child(chunks, Integer.toString(i));
      if (c == null) {
        throw new IOException(file + ": chunked array " + path + " lacks chunk " + i);
      }
      float[] piece = ndarray(file, path + "/chunks/" + i, c.asExtensionValue()).data();
      pieces.add(piece);
      total += piece.length;
    }
    float[] data = new float[total];
    int pos = 0;
    for (float[] p : pieces) {
      System.arraycopy(p, 0, data, pos, p.length);
      pos += p.length;
    }
    return new HostArray(shape, data);
  }

  private static final Pattern NPY_DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
  private static final Pattern NPY_FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final Pattern NPY_SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  /**
   * Reads a little-endian float32 C-order {@code .npy} file (format version 1, 2 or 3).
   *
   * @param file the file
   * @return its contents
   */
  public static HostArray readNpy(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 10
        || (bytes[0] & 0xff) != 0x93
        || !new String(bytes, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
      throw new IOException(file + ": not a .npy file");
    }
    int major = bytes[6];
    int headerLen;
    int start;
    if (major == 1) {
      headerLen = buf.getShort(8) & 0xffff;
      start = 10;
    } else {
      headerLen = buf.getInt(8);
      start = 12;
    }
    String header = new String(bytes, start, headerLen, StandardCharsets.ISO_8859_1);
    Matcher descr = NPY_DESCR.matcher(header);
    Matcher fortran = NPY_FORTRAN.matcher(header);
    Matcher shapeM = NPY_SHAPE.matcher(header);
    if (!descr.find() || !fortran.find() || !shapeM.find()) {
      throw new IOException(file + ": unreadable header " + header);
    }
    if (!descr.group(1).equals("<f4") || !fortran.group(1).equals("False")) {
      throw new IOException(file + ": expected '<f4' C order, header " + header);
    }
    long[] shape =
        Arrays.stream(shapeM.group(1).split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .mapToLong(Long::parseLong)
            .toArray();
    float[] data = new float[Math.toIntExact(HostArray.numElements(shape))];
    ByteBuffer.wrap(bytes, start + headerLen, data.length * 4)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .get(data);
    return new HostArray(shape, data);
  }

  /**
   * Reads a fixture's {@code config.json} (Scenic config keys) into a {@link ReferenceConfig}.
   *
   * @param file the {@code config.json}
   * @return the model settings
   */
  @SuppressWarnings("unchecked")
  public static ReferenceConfig readConfig(Path file) throws IOException {
    Map<String, Object> root =
        (Map<String, Object>)
            new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    Map<String, Object> model = (Map<String, Object>) root.get("model");
    Map<String, Object> tok = (Map<String, Object>) model.get("tokenizer");
    Map<String, Object> patches = (Map<String, Object>) tok.get("patches");
    int[] patchSize =
        ((List<Number>) patches.get("size")).stream().mapToInt(Number::intValue).toArray();
    Map<String, Object> temporal = (Map<String, Object>) tok.get("temporal_encoding_config");
    String method = temporal == null ? null : (String) temporal.get("method");
    Number sampled = temporal == null ? null : (Number) temporal.get("n_sampled_frames");
    Number rep = (Number) model.get("representation_size");
    Object v11 = tok.get("use_v11");
    return new ReferenceConfig(
        ((Number) model.get("hidden_size")).intValue(),
        ((Number) model.get("num_heads")).intValue(),
        ((Number) model.get("mlp_dim")).intValue(),
        ((Number) model.get("num_layers")).intValue(),
        (String) tok.get("type"),
        patchSize,
        ((Number) tok.get("num_tokens")).intValue(),
        ((Number) tok.get("tokenlearner_loc")).intValue(),
        (Boolean) tok.get("use_tokenfuse"),
        v11 == null || (Boolean) v11, // Scenic: tokenizer.get('use_v11', True)
        (String) model.get("classifier"),
        rep == null ? null : rep.intValue(),
        method,
        sampled == null ? 0 : sampled.intValue());
  }
}
