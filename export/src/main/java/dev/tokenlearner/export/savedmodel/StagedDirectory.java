package dev.tokenlearner.export.savedmodel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory written beside its target and moved into place in one rename, so a reader sees either
 * the old target, the complete new one, or none, never a half-written one.
 *
 * <p>Replacing an existing target moves it aside first, moves the new one in, and deletes the old
 * one last; if the second move fails the old one is moved back.
 *
 * <p>A process killed part way (SIGKILL, power cut of the JVM) leaves at worst a hidden stage
 * {@code .<name>.tmp-<pid>-*} or the moved-aside target {@code .<name>.old-<pid>-*}; {@link
 * #recover} (run before every export and by a load that finds no model) deletes stages of dead
 * processes and moves a previous target back if the kill fell between the two moves.
 */
final class StagedDirectory implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StagedDirectory.class);
  private static final String TMP = ".tmp-";
  private static final String OLD = ".old-";
  private static final String SAVED_MODEL_PB = "saved_model.pb";

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
    Path stage = Files.createTempDirectory(parent, prefix(target, TMP));
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
    Path old = Files.createTempDirectory(target.getParent(), prefix(target, OLD));
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

  /**
   * Cleans up after a process that died while writing {@code target}: deletes its stage directories
   * and, if {@code target} is missing, moves its moved-aside previous target back. Leftovers of
   * processes still alive are left alone.
   *
   * @param target the final directory (absolute, normalised)
   * @return whether a previous target was moved back
   * @throws IOException if a leftover cannot be moved or deleted
   */
  static boolean recover(Path target) throws IOException {
    Path parent = target.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return false;
    }
    String tmp = "." + target.getFileName() + TMP;
    String old = "." + target.getFileName() + OLD;
    List<Path> moved = new ArrayList<>();
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent)) {
      for (Path p : siblings) {
        String name = p.getFileName().toString();
        if (name.startsWith(tmp) && ownerDead(name.substring(tmp.length()))) {
          LOG.warn("deleting {}, left by an export that did not finish", p);
          deleteRecursively(p);
        } else if (name.startsWith(old) && ownerDead(name.substring(old.length()))) {
          moved.add(p);
        }
      }
    }
    boolean restored = false;
    for (Path p : moved) {
      if (!restored
          && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)
          && Files.isRegularFile(p.resolve(SAVED_MODEL_PB))) {
        LOG.warn("restoring {} from {}: the export replacing it did not finish", target, p);
        atomicMove(p, target);
        restored = true;
      } else {
        deleteRecursively(p);
      }
    }
    return restored;
  }

  private static String prefix(Path target, String kind) {
    return "." + target.getFileName() + kind + ProcessHandle.current().pid() + "-";
  }

  /** Whether the process named in {@code <pid>-<random>} has exited. */
  private static boolean ownerDead(String pidAndRest) {
    int dash = pidAndRest.indexOf('-');
    if (dash <= 0) {
      return false;
    }
    try {
      long pid = Long.parseLong(pidAndRest.substring(0, dash));
      return pid != ProcessHandle.current().pid()
          && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
    } catch (NumberFormatException e) {
      return false;
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
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
