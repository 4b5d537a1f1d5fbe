package dev.tokenlearner.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * How much a command prints besides its results, from the {@code --quiet} and {@code --verbose}
 * options every command takes (before or after the subcommand's name).
 */
enum Verbosity {
  /** Results and errors only: no progress bar, no log lines. */
  QUIET,
  /** Results, progress and log lines; TensorFlow's native log lines are left out. */
  NORMAL,
  /** Also TensorFlow's native log lines (kept by the launcher) and debug log lines. */
  VERBOSE;

  /** The verbosity asked for on the command line that {@code spec} was parsed from. */
  static Verbosity of(CommandSpec spec) {
    ParseResult top = spec.root().commandLine().getParseResult();
    return top == null ? NORMAL : of(top);
  }

  /** The verbosity of a parsed command line (the top-level result and its subcommands). */
  static Verbosity of(ParseResult top) {
    for (ParseResult r = top; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--quiet")) {
        return QUIET;
      }
    }
    for (ParseResult r = top; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--verbose")) {
        return VERBOSE;
      }
    }
    return NORMAL;
  }

  /** The slf4j-simple level of this verbosity. */
  String logLevel() {
    return switch (this) {
      case QUIET -> "warn";
      case NORMAL -> "info";
      case VERBOSE -> "debug";
    };
  }
}
