package dev.tokenlearner.checkpoint;

import dev.tokenlearner.checkpoint.orbax.OrbaxOcdbtReader;
import dev.tokenlearner.checkpoint.orbax.OrbaxZarrReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens any checkpoint this toolkit reads, choosing the reader from what is on disk, and finds the
 * latest checkpoint in a directory the way Flax's {@code restore_checkpoint} does.
 *
 * <ul>
 *   <li>a file: a ViT {@code .npz} when it starts with the zip magic, else a Flax msgpack file;
 *   <li>a directory holding {@code _METADATA}, {@code manifest.ocdbt} or a {@code checkpoint} file:
 *       an Orbax checkpoint (OCDBT when {@code manifest.ocdbt} is present, else Zarr);
 *   <li>any other directory: its {@code checkpoint_<N>} entry with the largest {@code N} (files or
 *       directories; {@code checkpoint_tmp}, {@code *_tmp}, {@code *_gda} and Orbax temporaries are
 *       ignored), read by the same rules.
 * </ul>
 */
public final class Checkpoints {

  /** File-name prefix of Flax checkpoints. */
  public static final String PREFIX = "checkpoint_";

  private static final Pattern STEP_NAME = Pattern.compile("checkpoint_(\\d+)");
  private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
  private static final byte[] EMPTY_ZIP_MAGIC = {'P', 'K', 5, 6};
  // A checkpoint_<N> entry that is itself a directory of checkpoints; bounds link cycles.
  private static final int MAX_NESTING = 8;

  private Checkpoints() {}

  /**
   * Reads the parameters of a checkpoint file or directory.
   *
   * @param path a checkpoint file, an Orbax checkpoint directory, or a directory of {@code
   *     checkpoint_<N>} entries
   * @return the parameters, with the form and layout they were read from
   * @throws CheckpointFormatException if nothing readable is there: a missing path, an empty
   *     directory, an unsupported or corrupt file
   * @throws IOException if reading fails
   */
  public static Checkpoint read(Path path) throws IOException {
    return read(path, 0);
  }

  private static Checkpoint read(Path path, int nesting) throws IOException {
    if (!Files.exists(path)) {
      throw new CheckpointFormatException(path, "no such file or directory");
    }
    if (Files.isRegularFile(path)) {
      return readFile(path);
    }
    if (!Files.isDirectory(path)) {
      throw new CheckpointFormatException(path, "neither a regular file nor a directory");
    }
    if (Files.exists(path.resolve("manifest.ocdbt"))) {
      return OrbaxOcdbtReader.read(path);
    }
    if (Files.exists(path.resolve("_METADATA"))
        || Files.isRegularFile(path.resolve("checkpoint"))) {
      return OrbaxZarrReader.read(path);
    }
    if (nesting >= MAX_NESTING) {
      throw new CheckpointFormatException(
          path, "checkpoint directories nested deeper than " + MAX_NESTING + " levels");
    }
    Optional<Path> latest = latest(path);
    if (latest.isEmpty()) {
      throw new CheckpointFormatException(
          path,
          "expected a checkpoint file, an Orbax checkpoint directory or a directory holding"
              + " checkpoint_<step> entries, found none");
    }
    return read(latest.get(), nesting + 1);
  }

  private static Checkpoint readFile(Path file) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(4);
    }
    if (head.length == 0) {
      throw new CheckpointFormatException(file, "empty file");
    }
    if (Arrays.equals(head, ZIP_MAGIC) || Arrays.equals(head, EMPTY_ZIP_MAGIC)) {
      return VitNpzReader.read(file);
    }
    return FlaxMsgpackReader.read(file);
  }

  /**
   * The newest {@code checkpoint_<N>} entry of a directory, by natural order of the names.
   *
   * @param dir a checkpoint directory
   * @return the entry with the largest step, or empty when there is none or {@code dir} does not
   *     exist
   * @throws CheckpointFormatException if {@code dir} exists but is not a directory
   * @throws IOException if the directory cannot be listed
   */
  public static Optional<Path> latest(Path dir) throws IOException {
    List<Path> all = list(dir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * The step of the newest {@code checkpoint_<N>} entry of a directory (for resuming).
   *
   * @param dir a checkpoint directory
   * @return the largest step, or empty when there is none or {@code dir} does not exist
   * @throws CheckpointFormatException if {@code dir} exists but is not a directory
   * @throws IOException if the directory cannot be listed
   */
  public static OptionalLong latestStep(Path dir) throws IOException {
    Optional<Path> p = latest(dir);
    return p.isEmpty() ? OptionalLong.empty() : OptionalLong.of(step(p.get()).orElseThrow());
  }

  /**
   * The step a {@code checkpoint_<N>} name records.
   *
   * @param path a path whose file name may be {@code checkpoint_<N>}
   * @return {@code N}, or empty when the name has another form
   */
  public static OptionalLong step(Path path) {
    Path name = path.getFileName();
    Matcher m = STEP_NAME.matcher(name == null ? "" : name.toString());
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(m.group(1)));
    } catch (NumberFormatException e) {
      return OptionalLong.empty(); // more digits than a long holds
    }
  }

  /**
   * All {@code checkpoint_<N>} entries of a directory, oldest first.
   *
   * <p>Only names of exactly that form count, so temporaries ({@code checkpoint_tmp}, {@code
   * *_tmp}, Orbax's {@code *.orbax-checkpoint-tmp-*}) and multi-host array folders ({@code *_gda})
   * are never chosen.
   */
  static List<Path> list(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    if (!Files.isDirectory(dir)) {
      throw new CheckpointFormatException(dir, "expected a directory of checkpoints, found a file");
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, PREFIX + "*")) {
      for (Path p : entries) {
        if (step(p).isPresent()) {
          found.add(p);
        }
      }
    }
    // Ties (checkpoint_7 vs checkpoint_007) are broken by name so the choice is stable.
    found.sort(
        Comparator.comparing((Path p) -> p.getFileName().toString(), NaturalOrder.INSTANCE)
            .thenComparing(p -> p.getFileName().toString()));
    return found;
  }
}
