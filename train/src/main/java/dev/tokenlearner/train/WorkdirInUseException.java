package dev.tokenlearner.train;

import dev.tokenlearner.core.InvalidInputException;
import java.nio.file.Path;

/**
 * A fresh run asked to train into a workdir that already holds a checkpoint: starting over there
 * would mix two runs' checkpoints and metrics, so the user picks resuming or another folder.
 */
public final class WorkdirInUseException extends InvalidInputException {

  private static final long serialVersionUID = 1L;

  /**
   * @param workdir the workdir
   * @param checkpoint its newest checkpoint
   */
  public WorkdirInUseException(Path workdir, Path checkpoint) {
    super(
        workdir
            + " already holds "
            + checkpoint.getFileName()
            + "; add --resume to continue that run, or give another --workdir");
  }
}
