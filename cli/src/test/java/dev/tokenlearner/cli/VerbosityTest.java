package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VerbosityTest {

  private static Verbosity parse(String... args) {
    return Verbosity.of(Main.commandLine().parseArgs(args));
  }

  @Test
  void of_optionBeforeOrAfterTheCommandName() {
    assertEquals(Verbosity.NORMAL, parse("inspect", "--config", "tiny"));
    assertEquals(Verbosity.QUIET, parse("inspect", "--config", "tiny", "--quiet"));
    assertEquals(Verbosity.QUIET, parse("--quiet", "inspect", "--config", "tiny"));
    assertEquals(Verbosity.VERBOSE, parse("train", "--verbose", "-c", "tiny", "--workdir", "w"));
    assertEquals(Verbosity.VERBOSE, parse("--verbose", "predict", "--model", "m", "--input", "i"));
    assertEquals("warn", Verbosity.QUIET.logLevel());
  }
}
