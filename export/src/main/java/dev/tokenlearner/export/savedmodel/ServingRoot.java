package dev.tokenlearner.export.savedmodel;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * A TF Serving model base path: numbered version folders {@code DIR/1/}, {@code DIR/2/}, ..., each
 * a complete SavedModel; TF Serving serves the highest number. New versions are written beside the
 * root and renamed into place, so a server polling the root never sees a partial one.
 *
 * <pre>{@code
 * Path v = ServingRoot.publish(Path.of("models/tokenlearner"), trainedModel); // models/tokenlearner/3
 * }</pre>
 */
public final class ServingRoot {

  private ServingRoot() {}

  /**
   * The highest version number under a root.
   *
   * @param root the serving root
   * @return the version, empty when the root is missing or holds no numbered folders
   * @throws IOException if the root cannot be listed
   */
  public static OptionalLong newestVersion(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return OptionalLong.empty();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9]{1,18}"))
          .mapToLong(Long::parseLong)
          .max();
    }
  }

  /**
   * The SavedModel a serving root serves: its highest version folder.
   *
   * @param root the serving root
   * @return {@code root/<newest version>}
   * @throws IOException if the root holds no version folder
   */
  public static Path newest(Path root) throws IOException {
    OptionalLong v = newestVersion(root);
    if (v.isEmpty()) {
      throw new NoSuchFileException(
          root.toString(), null, "no numbered version folder (e.g. " + root.resolve("1") + ")");
    }
    return root.resolve(Long.toString(v.getAsLong()));
  }

  /**
   * Resolves a model path given on the command line: a SavedModel directory as is, a serving root
   * as its newest version.
   *
   * @param dir a SavedModel directory or a serving root
   * @return the SavedModel directory
   * @throws IOException if {@code dir} is neither
   */
  public static Path resolveModel(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve("saved_model.pb"))) {
      return dir;
    }
    if (newestVersion(dir).isPresent()) {
      return newest(dir);
    }
    throw new NoSuchFileException(
        dir.toString(), null, "neither a SavedModel (no saved_model.pb) nor a serving root");
  }

  /**
   * The folder the next version goes to: one above the highest existing number, {@code 1} for a new
   * root.
   *
   * @param root the serving root
   * @return {@code root/<next version>}
   * @throws IOException if the root cannot be listed
   */
  public static Path nextVersion(Path root) throws IOException {
    return root.resolve(Long.toString(newestVersion(root).orElse(0) + 1));
  }

  /**
   * Copies a finished SavedModel into the root as its next version, atomically.
   *
   * @param root the serving root (created if missing)
   * @param savedModel a SavedModel directory
   * @return the new version folder
   * @throws IOException if copying or the final rename fails; nothing is left in the root then
   */
  public static Path publish(Path root, Path savedModel) throws IOException {
    if (!Files.isRegularFile(savedModel.resolve("saved_model.pb"))) {
      throw new NoSuchFileException(savedModel.toString(), null, "no saved_model.pb");
    }
    Path abs = root.toAbsolutePath().normalize();
    Files.createDirectories(abs);
    // Another writer may take the same number between listing and rename; then take the next.
    for (int attempt = 0; ; attempt++) {
      Path target = nextVersion(abs);
      try (StagedDirectory stage = StagedDirectory.beside(target)) {
        copyTree(savedModel, stage.path());
        stage.commit(false);
        return target;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw e;
        }
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path dst = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dst);
        } else {
          Files.copy(p, dst);
        }
      }
    }
  }
}
