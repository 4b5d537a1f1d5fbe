package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the parameters of an Orbax checkpoint saved without OCDBT ({@code use_ocdbt=False}).
 *
 * <p>Such a directory holds one folder per leaf, named by the leaf's tree path joined with '.'
 * (e.g. {@code params.Transformer.encoder_norm.scale/}), each a Zarr v2 array: a {@code .zarray}
 * JSON file and chunk files {@code 0}, {@code 0.0}, ... (zstd-compressed or raw). Only the {@code
 * params} subtree is returned; the step comes from the {@code global_step} leaf when present, else
 * from the directory name.
 */
public final class OrbaxZarrReader {

  /** The {@link Checkpoint#format()} this reader reports. */
  public static final String FORMAT = "orbax-zarr";

  /** Deepest folder nesting searched for chunks ('/'-separated keys of high-rank arrays). */
  private static final int MAX_RANK = 32;

  private OrbaxZarrReader() {}

  /**
   * Reads the parameters of the Orbax checkpoint directory {@code dir}.
   *
   * @param dir a step directory such as {@code checkpoint_1202}
   * @return the params, keyed by '/'-joined path relative to the params root
   * @throws CheckpointFormatException when the directory is not an Orbax Zarr checkpoint, or a file
   *     in it is malformed
   * @throws IOException when a file cannot be read
   */
  public static Checkpoint read(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointFormatException(dir, "not a directory; an Orbax checkpoint is a folder");
    }
    List<String> names;
    try (Stream<Path> children = Files.list(dir)) {
      names =
          children
              .filter(p -> Files.isRegularFile(p.resolve(".zarray")))
              .map(p -> p.getFileName().toString())
              .sorted()
              .toList();
    }
    if (names.isEmpty()) {
      String hint = "";
      if (Files.exists(dir.resolve("manifest.ocdbt"))) {
        hint = " (it has manifest.ocdbt: read it as an Orbax OCDBT checkpoint)";
      } else {
        try (Stream<Path> children = Files.list(dir)) {
          if (children.anyMatch(p -> Files.isRegularFile(p.resolve("zarr.json")))) {
            hint = " (it holds Zarr v3 arrays, saved with use_zarr3=True, which are not supported)";
          }
        }
      }
      throw new CheckpointFormatException(
          dir, "no Zarr array folders (folders holding .zarray) found" + hint);
    }
    OrbaxPyTree.Store store =
        new OrbaxPyTree.Store() {
          @Override
          public byte[] read(String key) throws IOException {
            Path p = dir.resolve(key);
            if (!Files.isRegularFile(p)) {
              return null;
            }
            if (Files.size(p) > ZarrArrayMetadata.MAX_CHUNK_BYTES) {
              throw new CheckpointFormatException(p, "larger than any chunk can be");
            }
            return Files.readAllBytes(p);
          }

          @Override
          public Path fileOf(String key) {
            return dir.resolve(key);
          }

          @Override
          public Collection<String> list(String prefix) throws IOException {
            Path array = dir.resolve(prefix);
            // Chunk keys with the '/' separator are nested folders, one level per dimension.
            try (Stream<Path> files = Files.walk(array, MAX_RANK)) {
              return files
                  .filter(Files::isRegularFile)
                  .map(p -> array.relativize(p).toString().replace(File.separatorChar, '/'))
                  .sorted()
                  .toList();
            }
          }
        };
    return OrbaxPyTree.read(dir, FORMAT, names, store);
  }
}
