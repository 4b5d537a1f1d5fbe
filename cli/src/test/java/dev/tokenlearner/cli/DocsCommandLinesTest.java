package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code ./tokenlearner ...} command line in README.md and docs/*.md parses against the
 * command line as it is, so the pages cannot drift from the options.
 */
class DocsCommandLinesTest {

  private static final Path ROOT =
      Path.of(System.getProperty("tokenlearner.testdata", "../testdata"))
          .toAbsolutePath()
          .normalize()
          .getParent();

  private static final String APP = "./tokenlearner";
  private static final Pattern INLINE = Pattern.compile("`([^`]*)`");

  /** A command line found in a page: where, and the words after {@code ./tokenlearner}. */
  record Found(String where, List<String> args) {}

  @Test
  void everyDocumentedCommandLine_parses() throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(ROOT.resolve("README.md"));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    List<Found> found = new ArrayList<>();
    for (Path page : pages) {
      found.addAll(commandLines(ROOT.relativize(page).toString(), Files.readString(page)));
    }
    List<String> failures = new ArrayList<>();
    for (Found f : found) {
      parseError(f.args()).ifPresent(e -> failures.add(f.where() + ": " + e));
    }
    assertEquals(List.of(), failures);
    // The pages hold dozens of commands; finding few means the extraction broke.
    assertTrue(found.size() >= 30, "only " + found.size() + " command lines found");
    assertTrue(
        found.stream().anyMatch(f -> f.where().startsWith("README.md")), "none in README.md");
  }

  @Test
  void commandLines_codeBlocksContinuationsQuotesCommentsAndInlineSpans() {
    String page =
        """
        Run `./tokenlearner inspect --config tiny` first; `./tokenlearner` alone builds.
        ```bash
        # ./tokenlearner in a comment is not a command
        TF_CONFIG='{"a": 1}' \\
          ./tokenlearner train --config 'my config.yaml' \\
            --workdir "runs/a b"   # trailing comment
        ./tokenlearner bench --quick | tee out.txt
        ```
        """;
    List<Found> found = commandLines("page.md", page);
    assertEquals(
        List.of(
            new Found("page.md:1", List.of("inspect", "--config", "tiny")),
            new Found(
                "page.md:4",
                List.of("train", "--config", "my config.yaml", "--workdir", "runs/a b")),
            new Found("page.md:7", List.of("bench", "--quick"))),
        found);
  }

  @Test
  void parseError_unknownOptionAndMissingValue_reported() {
    assertTrue(parseError(List.of("train", "--no-such-option")).isPresent());
    assertTrue(parseError(List.of("predict", "--model")).isPresent());
    assertEquals(
        java.util.Optional.empty(),
        parseError(List.of("train", "--config", "tiny", "--workdir", "runs/x")));
  }

  private static java.util.Optional<String> parseError(List<String> args) {
    try {
      Main.commandLine().parseArgs(args.toArray(new String[0]));
      return java.util.Optional.empty();
    } catch (CommandLine.ParameterException e) {
      return java.util.Optional.of(String.join(" ", args) + " -> " + e.getMessage());
    }
  }

  /** Command lines of a Markdown page: lines of fenced blocks and inline code spans. */
  static List<Found> commandLines(String name, String text) {
    List<Found> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    boolean fenced = false;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.strip().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (fenced) {
        int start = i;
        StringBuilder joined = new StringBuilder();
        while (line.endsWith("\\") && i + 1 < lines.length) {
          joined.append(line, 0, line.length() - 1).append(' ');
          line = lines[++i];
        }
        joined.append(line);
        after(words(joined.toString()))
            .ifPresent(a -> out.add(new Found(name + ":" + (start + 1), a)));
      } else {
        Matcher m = INLINE.matcher(line);
        while (m.find()) {
          int at = i;
          after(words(m.group(1))).ifPresent(a -> out.add(new Found(name + ":" + (at + 1), a)));
        }
      }
    }
    return out;
  }

  /** The words after {@code ./tokenlearner}, when it is a command (not alone, not commented). */
  private static java.util.Optional<List<String>> after(List<String> words) {
    int at = words.indexOf(APP);
    if (at < 0 || at == words.size() - 1) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(words.subList(at + 1, words.size()));
  }

  /**
   * Splits a shell line into words: quotes and backslashes as the shell reads them; a word starting
   * with {@code #}, a pipe, a redirection, {@code ;} or {@code &&} ends the command.
   */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean inWord = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(w.toString());
          w.setLength(0);
          inWord = false;
        }
        continue;
      }
      if (!inWord && (c == '#' || c == '|' || c == ';' || c == '>' || c == '<' || c == '&')) {
        break;
      }
      inWord = true;
      if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        end = end < 0 ? line.length() : end;
        w.append(line, i + 1, end);
        i = end;
      } else if (c == '"') {
        int j = i + 1;
        while (j < line.length() && line.charAt(j) != '"') {
          if (line.charAt(j) == '\\' && j + 1 < line.length()) {
            j++;
          }
          w.append(line.charAt(j++));
        }
        i = j;
      } else if (c == '\\' && i + 1 < line.length()) {
        w.append(line.charAt(++i));
      } else {
        w.append(c);
      }
    }
    if (inWord) {
      words.add(w.toString());
    }
    return words;
  }
}
