package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A read-only view of the latest version of a TensorStore OCDBT key-value database.
 *
 * <p>Opening reads {@code manifest.ocdbt}, takes the newest B+tree root it lists, and walks the
 * whole tree once, so afterwards every key and where its value lies are known. Values are read on
 * demand: inline ones come from the leaf node, out-of-line ones from a byte range of a data file.
 *
 * <p>Keys are byte strings; they are held as ISO-8859-1 strings so that {@link String} order is the
 * unsigned byte order OCDBT sorts by.
 *
 * <p>Format (TensorStore {@code kvstore/ocdbt}): every structure sits in an {@link OcdbtEnvelope}.
 * Data files are named through a data file table whose paths are prefix-compressed and relative to
 * a base that a node passes on to its children; that is how a merged top-level database points into
 * {@code ocdbt.process_N/d/...}.
 */
final class OcdbtDatabase {

  /** A data file path relative to the database root, and the base passed on to nodes in it. */
  record DataFile(String path, String childBase) {}

  /** A byte range of a data file. */
  record Ref(DataFile file, long offset, long length) {}

  /** A value: either the bytes themselves ({@code inline}) or where they lie ({@code ref}). */
  record Value(byte[] inline, Ref ref) {}

  private static final int MAX_PATH_LENGTH = 65535;
  private static final int MAX_KEY_LENGTH = 65535;
  private static final int MAX_NODE_ARITY = 1 << 20;
  private static final int MAX_NODES = 1 << 20;
  private static final int MAX_KEYS = 1 << 24;
  private static final Pattern NUMBERED_MANIFEST = Pattern.compile("manifest\\.[0-9a-f]{16}");
  private static final long MISSING = -1L; // uint64 max marks an empty tree's root

  private final Path root;
  private final SortedMap<String, Value> entries;
  private int nodesVisited;

  private OcdbtDatabase(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.entries = new TreeMap<>();
  }

  /**
   * Opens the database whose {@code manifest.ocdbt} lies in {@code root}.
   *
   * @throws NoSuchFileException when there is no {@code manifest.ocdbt}
   * @throws CheckpointFormatException when a structure is malformed
   */
  static OcdbtDatabase open(Path root) throws IOException {
    OcdbtDatabase db = new OcdbtDatabase(root);
    db.load();
    return db;
  }

  /** Every key of the latest version, with where its value lies; sorted, unmodifiable. */
  SortedMap<String, Value> entries() {
    return Collections.unmodifiableSortedMap(entries);
  }

  /** The value of {@code key}, or {@code null} when the key is absent. */
  byte[] read(String key) throws IOException {
    Value v = entries.get(key);
    if (v == null) {
      return null;
    }
    if (v.inline() != null) {
      return v.inline();
    }
    return readRange(v.ref(), Integer.MAX_VALUE - 8, "value of key '" + key + "'");
  }

  /** The file an entry's value lies in, for messages: its data file, or the manifest if inline. */
  Path fileOf(String key) {
    Value v = entries.get(key);
    if (v == null || v.ref() == null) {
      return root.resolve("manifest.ocdbt");
    }
    return root.resolve(v.ref().file().path());
  }

  /** The database root. */
  Path root() {
    return root;
  }

  private void load() throws IOException {
    Path manifestPath = root.resolve("manifest.ocdbt");
    ByteCursor c = openManifest(manifestPath);
    int kind = readConfig(c);
    if (kind == 1) {
      // "numbered" manifests: manifest.ocdbt holds only the config, the versions sit in the
      // newest manifest.<generation as 16 hex digits>.
      manifestPath = newestNumberedManifest();
      c = openManifest(manifestPath);
      kind = readConfig(c);
    }
    if (kind != 0) {
      throw c.fail("manifest_kind", "expected 0 (single) or 1 (numbered), found " + kind);
    }
    DataFile[] table = readDataFileTable(c, "");
    // Inline versions: the newest ones, ordered by generation; the last is the current tree.
    int n = c.count("num_versions", MAX_NODE_ARITY, 16);
    if (n == 0) {
      throw c.fail("num_versions", "the manifest lists no version");
    }
    long[] generation = new long[n];
    for (int i = 0; i < n; i++) {
      generation[i] = c.varint("generation_number", Long.MAX_VALUE);
      if (generation[i] == 0 || (i > 0 && generation[i] <= generation[i - 1])) {
        throw c.fail("generation_number", "generation numbers must be non-zero and increasing");
      }
    }
    int[] height = new int[n];
    for (int i = 0; i < n; i++) {
      height[i] = c.u8("root_height");
    }
    Ref[] roots = readRefs(c, table, n, true);
    skipStatistics(c, n);
    for (int i = 0; i < n; i++) {
      c.u64le("commit_time");
    }
    // Older versions live in version tree nodes; only their references are read, to reach the end.
    int m = c.count("num_version_nodes", 64, 12);
    for (int i = 0; i < m; i++) {
      c.varint64("version node generation_number");
    }
    readRefs(c, table, m, false);
    for (int i = 0; i < m; i++) {
      c.varint64("version node num_generations");
    }
    for (int i = 0; i < m; i++) {
      c.u64le("version node commit_time");
    }
    for (int i = 0; i < m; i++) {
      c.u8("version node height");
    }
    c.expectEnd();
    Ref rootRef = roots[n - 1];
    int rootHeight = height[n - 1];
    if (rootRef == null) {
      return; // empty tree
    }
    visit(rootRef, rootHeight, "");
  }

  private ByteCursor openManifest(Path manifestPath) throws IOException {
    if (Files.size(manifestPath) > OcdbtEnvelope.MAX_DECODED_BYTES) {
      throw new CheckpointFormatException(
          manifestPath, "manifest larger than " + OcdbtEnvelope.MAX_DECODED_BYTES + " bytes");
    }
    byte[] encoded = Files.readAllBytes(manifestPath);
    byte[] body =
        OcdbtEnvelope.open(encoded, OcdbtEnvelope.MANIFEST_MAGIC, manifestPath, "OCDBT manifest");
    return new ByteCursor(body, manifestPath, "OCDBT manifest");
  }

  /** Reads the configuration and returns the manifest kind. */
  private static int readConfig(ByteCursor c) throws CheckpointFormatException {
    c.skip(16, "uuid");
    int kind = c.u8("manifest_kind");
    c.varint("max_inline_value_bytes", 0xffffffffL);
    c.varint("max_decoded_node_bytes", 0xffffffffL);
    int arity = c.u8("version_tree_arity_log2");
    if (arity == 0 || arity > 16) {
      throw c.fail("version_tree_arity_log2", "expected 1..16, found " + arity);
    }
    long compression = c.varint64("compression_method");
    if (compression == 1) {
      c.i32le("zstd level");
    } else if (compression != 0) {
      throw c.fail(
          "compression_method",
          "expected 0 (none) or 1 (zstd), found " + Long.toUnsignedString(compression));
    }
    return kind;
  }

  private Path newestNumberedManifest() throws IOException {
    try (Stream<Path> files = Files.list(root)) {
      return files
          .filter(p -> NUMBERED_MANIFEST.matcher(p.getFileName().toString()).matches())
          .max(Path::compareTo)
          .orElseThrow(
              () ->
                  new CheckpointFormatException(
                      root.resolve("manifest.ocdbt"),
                      "manifest kind is 'numbered' but no manifest.<generation> file is present"));
    }
  }

  /**
   * Reads a data file table: counts, then prefix lengths (relative to the previous path), suffix
   * lengths, base path lengths, then the suffix bytes.
   */
  private static DataFile[] readDataFileTable(ByteCursor c, String transitive)
      throws CheckpointFormatException {
    int n = c.count("data file count", MAX_NODE_ARITY, 2);
    int[] prefix = new int[n];
    int[] suffix = new int[n];
    int[] base = new int[n];
    for (int i = 1; i < n; i++) {
      prefix[i] = (int) c.varint("data file path_prefix_length", MAX_PATH_LENGTH);
    }
    for (int i = 0; i < n; i++) {
      suffix[i] = (int) c.varint("data file path_suffix_length", MAX_PATH_LENGTH);
    }
    for (int i = 0; i < n; i++) {
      base[i] = (int) c.varint("data file base_path_length", MAX_PATH_LENGTH);
    }
    DataFile[] files = new DataFile[n];
    String prev = "";
    for (int i = 0; i < n; i++) {
      if (prefix[i] > prev.length()) {
        throw c.fail(
            "data file " + i,
            "prefix length " + prefix[i] + " exceeds the previous path length " + prev.length());
      }
      String path =
          prev.substring(0, prefix[i])
              + new String(c.bytes(suffix[i], "data file path"), StandardCharsets.ISO_8859_1);
      if (transitive.length() + path.length() > MAX_PATH_LENGTH) {
        throw c.fail("data file " + i, "path longer than " + MAX_PATH_LENGTH + " bytes");
      }
      if (base[i] > path.length()) {
        throw c.fail(
            "data file " + i,
            "base path length " + base[i] + " exceeds path length " + path.length());
      }
      files[i] = new DataFile(transitive + path, transitive + path.substring(0, base[i]));
      prev = path;
    }
    return files;
  }

  /** Reads {@code n} references as columns: data file ids, offsets, lengths. */
  private static Ref[] readRefs(ByteCursor c, DataFile[] table, int n, boolean allowMissing)
      throws CheckpointFormatException {
    long[] id = new long[n];
    long[] offset = new long[n];
    long[] length = new long[n];
    for (int i = 0; i < n; i++) {
      id[i] = c.varint64("data_file_id");
    }
    for (int i = 0; i < n; i++) {
      offset[i] = c.varint64("data_file_offset");
    }
    for (int i = 0; i < n; i++) {
      length[i] = c.varint64("data_file_length");
    }
    Ref[] refs = new Ref[n];
    for (int i = 0; i < n; i++) {
      if (allowMissing && offset[i] == MISSING && length[i] == MISSING) {
        continue;
      }
      refs[i] = makeRef(c, table, id[i], offset[i], length[i]);
    }
    return refs;
  }

  private static Ref makeRef(ByteCursor c, DataFile[] table, long id, long offset, long length)
      throws CheckpointFormatException {
    if (id < 0 || id >= table.length) {
      throw c.fail(
          "data_file_id",
          "id " + Long.toUnsignedString(id) + " outside the table of " + table.length + " files");
    }
    if (offset < 0 || length < 0 || offset + length < 0) {
      throw c.fail(
          "data file range",
          "offset "
              + Long.toUnsignedString(offset)
              + " + length "
              + Long.toUnsignedString(length)
              + " overflows");
    }
    return new Ref(table[(int) id], offset, length);
  }

  private static void skipStatistics(ByteCursor c, int n) throws CheckpointFormatException {
    for (int i = 0; i < 3 * n; i++) {
      c.varint64("statistics");
    }
  }

  /**
   * Reads the B+tree node at {@code ref} and everything below it, adding leaf entries under {@code
   * prefix} (the key prefix implied by the path from the root).
   */
  private void visit(Ref ref, int expectedHeight, String prefix) throws IOException {
    if (++nodesVisited > MAX_NODES) {
      throw new CheckpointFormatException(
          root, "OCDBT B+tree has more than " + MAX_NODES + " nodes");
    }
    Path file = resolve(ref.file().path());
    String what = "OCDBT B+tree node at offset " + ref.offset();
    byte[] encoded = readRange(ref, OcdbtEnvelope.MAX_DECODED_BYTES, what);
    ByteCursor c =
        new ByteCursor(
            OcdbtEnvelope.open(encoded, OcdbtEnvelope.BTREE_NODE_MAGIC, file, what), file, what);
    int height = c.u8("height");
    if (height != expectedHeight) {
      throw c.fail("height", "expected " + expectedHeight + ", found " + height);
    }
    DataFile[] table = readDataFileTable(c, ref.file().childBase());
    int n = c.count("num_entries", MAX_NODE_ARITY, 2);
    if (n == 0) {
      throw c.fail("num_entries", "empty node");
    }
    boolean leaf = height == 0;
    int[] prefixLength = new int[n];
    int[] suffixLength = new int[n];
    int[] subtreePrefix = new int[n];
    for (int i = 1; i < n; i++) {
      prefixLength[i] = (int) c.varint("key_prefix_length", MAX_KEY_LENGTH);
    }
    for (int i = 0; i < n; i++) {
      suffixLength[i] = (int) c.varint("key_suffix_length", MAX_KEY_LENGTH);
    }
    if (!leaf) {
      for (int i = 0; i < n; i++) {
        subtreePrefix[i] = (int) c.varint("subtree_common_prefix_length", MAX_KEY_LENGTH);
      }
    }
    String[] keys = new String[n];
    String prev = "";
    for (int i = 0; i < n; i++) {
      if (prefixLength[i] > prev.length()) {
        throw c.fail(
            "key " + i,
            "prefix length " + prefixLength[i] + " exceeds previous key length " + prev.length());
      }
      String key =
          prev.substring(0, prefixLength[i])
              + new String(c.bytes(suffixLength[i], "key_suffix"), StandardCharsets.ISO_8859_1);
      if (key.length() > MAX_KEY_LENGTH) {
        throw c.fail("key " + i, "longer than " + MAX_KEY_LENGTH + " bytes");
      }
      if (i > 0 && key.compareTo(prev) <= 0) {
        throw c.fail("key " + i, "keys are not in increasing order");
      }
      keys[i] = key;
      prev = key;
    }
    if (leaf) {
      readLeafValues(c, table, prefix, keys);
      return;
    }
    Ref[] children = readRefs(c, table, n, false);
    skipStatistics(c, n);
    c.expectEnd();
    for (int i = 0; i < n; i++) {
      if (subtreePrefix[i] > keys[i].length()) {
        throw c.fail(
            "child " + i,
            "subtree common prefix length "
                + subtreePrefix[i]
                + " exceeds key length "
                + keys[i].length());
      }
      visit(children[i], height - 1, prefix + keys[i].substring(0, subtreePrefix[i]));
    }
  }

  /**
   * Leaf columns: value lengths, value kinds, indirect file ids, indirect offsets, inline bytes.
   */
  private void readLeafValues(ByteCursor c, DataFile[] table, String prefix, String[] keys)
      throws CheckpointFormatException {
    int n = keys.length;
    long[] length = new long[n];
    for (int i = 0; i < n; i++) {
      length[i] = c.varint("value_length", Long.MAX_VALUE);
    }
    boolean[] indirect = new boolean[n];
    for (int i = 0; i < n; i++) {
      int kind = c.u8("value_kind");
      if (kind > 1) {
        throw c.fail("value_kind", "expected 0 (inline) or 1 (out of line), found " + kind);
      }
      indirect[i] = kind == 1;
    }
    long[] id = new long[n];
    for (int i = 0; i < n; i++) {
      if (indirect[i]) {
        id[i] = c.varint64("value data_file_id");
      }
    }
    Value[] values = new Value[n];
    for (int i = 0; i < n; i++) {
      if (indirect[i]) {
        long offset = c.varint64("value data_file_offset");
        values[i] = new Value(null, makeRef(c, table, id[i], offset, length[i]));
      }
    }
    for (int i = 0; i < n; i++) {
      if (!indirect[i]) {
        if (length[i] > c.remaining()) {
          throw c.fail(
              "inline value of key '" + keys[i] + "'",
              "length " + length[i] + " exceeds the " + c.remaining() + " bytes left");
        }
        values[i] = new Value(c.bytes((int) length[i], "inline value"), null);
      }
    }
    c.expectEnd();
    for (int i = 0; i < n; i++) {
      String key = prefix + keys[i];
      // Leaves are visited in key order, so every key must follow the last one seen.
      if (!entries.isEmpty() && key.compareTo(entries.lastKey()) <= 0) {
        throw c.fail("key '" + key + "'", "out of order with the preceding leaf");
      }
      if (entries.size() >= MAX_KEYS) {
        throw c.fail("keys", "more than " + MAX_KEYS + " keys");
      }
      entries.put(key, values[i]);
    }
  }

  /** Resolves a data file path, refusing anything that would leave the database root. */
  private Path resolve(String relative) throws CheckpointFormatException {
    if (relative.isEmpty() || relative.indexOf('\0') >= 0 || relative.startsWith("/")) {
      throw new CheckpointFormatException(root, "invalid data file path '" + relative + "'");
    }
    Path p;
    try {
      p = root.resolve(relative).normalize();
    } catch (RuntimeException e) {
      throw new CheckpointFormatException(root, "invalid data file path '" + relative + "'", e);
    }
    if (!p.startsWith(root) || p.equals(root)) {
      throw new CheckpointFormatException(
          root, "data file path '" + relative + "' points outside the checkpoint directory");
    }
    return p;
  }

  private byte[] readRange(Ref ref, int maxLength, String what) throws IOException {
    Path file = resolve(ref.file().path());
    if (ref.length() > maxLength) {
      throw new CheckpointFormatException(
          file, what + ": length " + ref.length() + " exceeds the limit " + maxLength);
    }
    if (Files.isDirectory(file)) {
      // a reference to the data folder itself (or any folder) is corruption, not an I/O failure
      throw new CheckpointFormatException(file, what + ": data file is a directory");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (ref.offset() > size || ref.length() > size - ref.offset()) {
        throw new CheckpointFormatException(
            file,
            what
                + ": bytes ["
                + ref.offset()
                + ", "
                + (ref.offset() + ref.length())
                + ") lie past the end of the "
                + size
                + "-byte file");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) ref.length());
      long pos = ref.offset();
      while (buf.hasRemaining()) {
        int r = ch.read(buf, pos);
        if (r < 0) {
          throw new CheckpointFormatException(file, what + ": file ended while reading");
        }
        pos += r;
      }
      return buf.array();
    } catch (NoSuchFileException e) {
      throw new CheckpointFormatException(file, what + ": data file is missing", e);
    }
  }
}
