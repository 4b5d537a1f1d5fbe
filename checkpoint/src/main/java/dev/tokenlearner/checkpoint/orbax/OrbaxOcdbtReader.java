package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Reads the parameters of an Orbax checkpoint saved with OCDBT, Orbax's default form.
 *
 * <p>The directory is a TensorStore OCDBT database ({@code manifest.ocdbt}, {@code d/...}) whose
 * B+tree refers into per-process sub-databases ({@code ocdbt.process_N/}). Its keys are those of
 * Zarr v2 arrays, one per leaf, named by the tree path joined with '.': {@code
 * params.embedding.kernel/.zarray}, {@code params.embedding.kernel/0.0.0.0}. If the top-level
 * manifest is missing (a save that did not finish merging), the process sub-databases are read
 * directly. Only the {@code params} subtree is returned; the step comes from the {@code
 * global_step} leaf when present, else from the directory name.
 */
public final class OrbaxOcdbtReader {

  /** The {@link Checkpoint#format()} this reader reports. */
  public static final String FORMAT = "orbax-ocdbt";

  private static final String ZARRAY_SUFFIX = "/.zarray";

  private OrbaxOcdbtReader() {}

  /**
   * Reads the parameters of the Orbax OCDBT checkpoint directory {@code dir}.
   *
   * @param dir a step directory such as {@code checkpoint_1201}
   * @return the params, keyed by '/'-joined path relative to the params root
   * @throws CheckpointFormatException when the directory is not an Orbax OCDBT checkpoint, or a
   *     structure in it is malformed
   * @throws IOException when a file cannot be read
   */
  public static Checkpoint read(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointFormatException(dir, "not a directory; an Orbax checkpoint is a folder");
    }
    List<OcdbtDatabase> dbs = open(dir);
    List<String> names = new ArrayList<>();
    for (OcdbtDatabase db : dbs) {
      for (String key : db.entries().keySet()) {
        if (key.endsWith(ZARRAY_SUFFIX)) {
          names.add(fromKey(key.substring(0, key.length() - ZARRAY_SUFFIX.length())));
        }
      }
    }
    if (names.isEmpty()) {
      boolean zarr3 =
          dbs.stream()
              .anyMatch(
                  db -> db.entries().keySet().stream().anyMatch(k -> k.endsWith("/zarr.json")));
      throw new CheckpointFormatException(
          dir,
          zarr3
              ? "the OCDBT database holds Zarr v3 arrays (saved with use_zarr3=True), which are"
                  + " not supported; save with use_zarr3=False"
              : "the OCDBT database holds no Zarr arrays (no '<name>/.zarray' keys)");
    }
    OrbaxPyTree.Store store =
        new OrbaxPyTree.Store() {
          @Override
          public byte[] read(String key) throws IOException {
            String k = toKey(key);
            for (OcdbtDatabase db : dbs) {
              byte[] v = db.read(k);
              if (v != null) {
                return v;
              }
            }
            return null;
          }

          @Override
          public Path fileOf(String key) {
            String k = toKey(key);
            for (OcdbtDatabase db : dbs) {
              if (db.entries().containsKey(k)) {
                return db.fileOf(k);
              }
            }
            return dir.resolve("manifest.ocdbt");
          }

          @Override
          public Collection<String> list(String prefix) {
            // Keys under "<prefix>/" sort before "<prefix>0" ('0' follows '/').
            String k = toKey(prefix);
            Set<String> out = new TreeSet<>();
            for (OcdbtDatabase db : dbs) {
              for (String key : db.entries().subMap(k + "/", k + "0").keySet()) {
                out.add(fromKey(key.substring(k.length() + 1)));
              }
            }
            return out;
          }
        };
    return OrbaxPyTree.read(dir, FORMAT, names, store);
  }

  /** The top-level database, or failing that every {@code ocdbt.process_N} sub-database. */
  private static List<OcdbtDatabase> open(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve("manifest.ocdbt"))) {
      return List.of(OcdbtDatabase.open(dir));
    }
    List<OcdbtDatabase> dbs = new ArrayList<>();
    try (Stream<Path> children = Files.list(dir)) {
      for (Path p :
          children
              .filter(p -> p.getFileName().toString().startsWith("ocdbt.process_"))
              .filter(p -> Files.isRegularFile(p.resolve("manifest.ocdbt")))
              .sorted()
              .toList()) {
        dbs.add(OcdbtDatabase.open(p));
      }
    }
    if (dbs.isEmpty()) {
      throw new CheckpointFormatException(
          dir, "no manifest.ocdbt (nor ocdbt.process_N/manifest.ocdbt): not an OCDBT checkpoint");
    }
    return dbs;
  }

  /** OCDBT keys are bytes, held as ISO-8859-1 strings; names are UTF-8. */
  private static String fromKey(String key) {
    return new String(key.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  private static String toKey(String name) {
    return new String(name.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }
}
