package dev.tokenlearner.cli;

import dev.tokenlearner.core.UserError;
import dev.tokenlearner.train.distributed.ReplicaFailedException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code tokenlearner} command: train, import, predict, serve, inspect and bench.
 *
 * <p>Exit codes: 0 success, 1 a user error (bad option value, config, checkpoint or input; one-line
 * message), 2 a command line that does not parse (unknown option, missing required option; the
 * message and the usage) or an internal error (stack trace), 3 a replica of a data-parallel run
 * failed or a peer never started (restart every task with {@code --resume}).
 */
@Command(
    name = "tokenlearner",
    mixinStandardHelpOptions = true,
    version = "tokenlearner 0.1.0 (TensorFlow Java 1.1.0)",
    description =
        "TokenLearner ViT/ViViT models on TensorFlow Java: train, import Scenic checkpoints, export and serve SavedModels.",
    subcommands = {
      TrainCommand.class,
      ImportCommand.class,
      PredictCommand.class,
      VisualizeCommand.class,
      SweepCommand.class,
      ServeCommand.class,
      InspectCommand.class,
      BenchCommand.class,
      DoctorCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  /** Exit code for errors the user can fix (bad input, config or checkpoint). */
  public static final int EXIT_USER_ERROR = 1;

  /** Exit code for a command line that does not parse (picocli's usage error). */
  public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

  /** Exit code for internal errors. */
  public static final int EXIT_INTERNAL_ERROR = 2;

  /** Exit code when a replica of a data-parallel run failed or a peer never started. */
  public static final int EXIT_REPLICA_FAILED = 3;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Specify a subcommand");
  }

  /** The configured command line, shared by {@link #main} and tests. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof ReplicaFailedException) {
            // The failed session is left open on purpose; exit without closing it.
            commandLine.getErr().println("error: " + ex.getMessage());
            return EXIT_REPLICA_FAILED;
          }
          if (isUserError(ex)) {
            commandLine.getErr().println("error: " + userMessage(ex));
            return EXIT_USER_ERROR;
          }
          ex.printStackTrace(commandLine.getErr());
          return EXIT_INTERNAL_ERROR;
        });
    return cl;
  }

  /**
   * Whether an exception is the user's to fix: one of the project's {@link UserError}s, or a file
   * that is missing, unreadable or in the way ({@link FileSystemException} names it). Everything
   * else is an internal error and gets a stack trace.
   */
  static boolean isUserError(Throwable ex) {
    return ex instanceof UserError
        || ex instanceof FileSystemException
        || (ex instanceof UncheckedIOException u && isUserError(u.getCause()));
  }

  /**
   * The one line a user error prints: a file-system error says what is wrong with which path (the
   * JDK's message is often the bare path), and a message of several lines is joined into one.
   */
  static String userMessage(Throwable ex) {
    if (ex instanceof UncheckedIOException u && u.getCause() != null) {
      return userMessage(u.getCause());
    }
    String message;
    if (ex instanceof NoSuchFileException e) {
      message = "no such file: " + e.getFile();
    } else if (ex instanceof AccessDeniedException e) {
      message = "permission denied: " + e.getFile();
    } else if (ex instanceof NotDirectoryException e) {
      message = "not a folder: " + e.getFile();
    } else if (ex instanceof FileAlreadyExistsException e) {
      message = "already exists: " + e.getFile();
    } else if (ex.getMessage() == null) {
      message = ex.getClass().getSimpleName();
    } else {
      message = ex.getMessage();
    }
    return message.strip().replaceAll("\\s*\\R\\s*", "; ");
  }

  /**
   * Runs the app.
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
