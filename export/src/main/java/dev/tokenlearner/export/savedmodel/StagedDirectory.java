package dev.tokenlearner.export.savedmodel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory written beside its target and moved into place in one rename, so a reader sees
 * either the old target, the complete new one, or none, never a half-written one.
 *
 * <p>Replacing an existing target moves it aside first, moves the new one in, and deletes the old
 * one last; if the second move fails the old one is moved back.
 */
final class StagedDirectory implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StagedDirectory.class);

  private final Path target;
  private final Path stage;
  private boolean committed;

  private StagedDirectory(Path target, Path stage) {
    this.target = target;
    this.stage = stage;
  }

  /**
   * Creates an empty stage directory next to {@code target}.
   *
   * @param target the final directory (absolute, normalised)
   * @return the stage
   * @throws IOException if the parent cannot be created or written
   */
  static StagedDirectory beside(Path target) throws IOException {
    Path parent = target.getParent();
    Files.createDirectories(parent);
    Path stage = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
    return new StagedDirectory(target, stage);
  }

  /** The directory to write into. */
  Path path() {
    return stage;
  }

  /**
   * Moves the stage into place.
   *
   * @param overwrite whether an existing target may be replaced
   * @throws FileAlreadyExistsException if the target exists and {@code overwrite} is false
   * @throws IOException if a move fails; the previous target is then restored
   */
  void commit(boolean overwrite) throws IOException {
    if (!Files.exists(target)) {
      atomicMove(stage, target);
      committed = true;
      return;
    }
    if (!overwrite) {
      throw new FileAlreadyExistsException(
          target.toString(), null, "already exists; pass overwrite to replace it");
    }
    Path old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
    Files.delete(old);
    atomicMove(target, old);
    try {
      atomicMove(stage, target);
    } catch (IOException e) {
      try {
        atomicMove(old, target);
      } catch (IOException restore) {
        e.addSuppressed(restore);
      }
      throw e;
    }
    committed = true;
    try {
      deleteRecursively(old);
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete the replaced model at {}: {}", old, e.toString());
    }
  }

  /** Deletes the stage unless it was committed. */
  @Override
  public void close() throws IOException {
    if (!committed) {
      deleteRecursively(stage);
    }
  }

  private static void atomicMove(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "cannot move " + from + " to " + to + " atomically; are they on one file system?", e);
    }
  }

  /**
   * Deletes a file tree; a missing path is fine.
   *
   * @param root the tree
   * @throws IOException if something cannot be deleted
   */
  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
