package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.FlaxMsgpackWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes a run's Scenic-format checkpoints ({@code <workdir>/checkpoint_<step>}, atomically, the
 * newest {@code max_checkpoint_keep} kept) and remembers the last good one.
 */
final class Checkpointer {

  private final Path workdir;
  private final int keep;
  private final List<Path> written = new ArrayList<>();

  Checkpointer(Path workdir, int keep) {
    this.workdir = workdir;
    this.keep = keep;
  }

  /** Saves the step's whole train state. */
  void save(TrainStep step) throws IOException {
    written.add(FlaxMsgpackWriter.save(workdir, step.snapshot(), keep));
  }

  /** Checkpoints written by this run, oldest first. */
  List<Path> written() {
    return List.copyOf(written);
  }

  /** The newest checkpoint this run wrote, if any. */
  Optional<Path> newestWritten() {
    return written.isEmpty() ? Optional.empty() : Optional.of(written.get(written.size() - 1));
  }

  /** The newest checkpoint of this run, or else the newest one already in the workdir. */
  Optional<Path> lastGood() throws IOException {
    return written.isEmpty() ? Checkpoints.latest(workdir) : newestWritten();
  }
}
