package dev.tokenlearner.train;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The console progress of a run (step, loss, accuracy, held-out accuracy, images/s), or none.
 *
 * <p>On a terminal it is one bar redrawn in place on stderr, and while it is drawn every other line
 * written to {@code System.err} (log lines) first erases the bar's line, so the two never share a
 * line; the bar redraws below. Without a terminal (a log file, CI) it writes one plain line per
 * {@link #LINE_INTERVAL} instead of one endless line of redraws.
 */
final class Progress implements AutoCloseable {

  /** How often the progress is written as a line when stderr is not a terminal. */
  static final Duration LINE_INTERVAL = Duration.ofSeconds(10);

  /** Longest progress line written without a terminal (whose width is unknown). */
  static final int LINE_LENGTH = 120;

  /** Carriage return and ANSI "erase the whole line". */
  static final String ERASE_LINE = "\r\u001b[2K";

  private final ProgressBar bar;
  private final PrintStream restoreErr;

  private Progress(ProgressBar bar, PrintStream restoreErr) {
    this.bar = bar;
    this.restoreErr = restoreErr;
  }

  /** A bar from {@code start} to {@code total} when {@code show}, otherwise a silent one. */
  static Progress of(boolean show, long start, long total) {
    if (!show) {
      return new Progress(null, null);
    }
    // On Java 17, a null console means standard output is not a terminal.
    @SuppressWarnings("SystemConsoleNull")
    boolean terminal = System.console() != null;
    if (!terminal) {
      return lines(start, total, line -> System.err.println(line), LINE_INTERVAL);
    }
    PrintStream err = System.err;
    ProgressBar bar =
        builder(start, total, Duration.ofMillis(500))
            .setConsumer(new ConsoleProgressBarConsumer(err))
            .build();
    System.setErr(new PrintStream(new BarAwareStream(err), true));
    return new Progress(bar, err);
  }

  /**
   * Progress written as whole lines to {@code sink}, at most one per {@code interval} (and only
   * when the step moved), plus a last line on close.
   */
  static Progress lines(long start, long total, Consumer<String> sink, Duration interval) {
    return new Progress(
        builder(start, total, interval)
            .setConsumer(new DelegatingProgressBarConsumer(sink, LINE_LENGTH))
            .build(),
        null);
  }

  private static ProgressBarBuilder builder(long start, long total, Duration interval) {
    return new ProgressBarBuilder()
        .setTaskName("train")
        .setInitialMax(total)
        .startsFrom(start, Duration.ZERO)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis((int) Math.max(1, interval.toMillis()));
  }

  void update(long step, MetricWindow window, OptionalDouble evalAccuracy, double imagesPerSecond) {
    if (bar == null) {
      return;
    }
    bar.stepTo(step);
    bar.setExtraMessage(
        String.format(
            Locale.ROOT,
            "loss %.3f acc %.3f%s %.0f img/s",
            window.recentLoss(),
            window.recentAccuracy(),
            evalAccuracy.isPresent()
                ? String.format(Locale.ROOT, " val %.3f", evalAccuracy.getAsDouble())
                : "",
            imagesPerSecond));
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
    if (restoreErr != null) {
      System.setErr(restoreErr);
    }
  }

  /**
   * What {@code System.err} becomes while a terminal bar is drawn: text that starts a line first
   * erases the bar's line (the bar draws without a newline and redraws on its next tick).
   */
  static final class BarAwareStream extends OutputStream {
    private final PrintStream target;
    private boolean lineStart = true;

    BarAwareStream(PrintStream target) {
      this.target = target;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (len == 0) {
        return;
      }
      // The bar's consumer prints to the same stream, whose methods lock it: one at a time.
      synchronized (target) {
        if (lineStart) {
          target.print(ERASE_LINE);
        }
        target.write(b, off, len);
        target.flush();
        lineStart = b[off + len - 1] == '\n';
      }
    }

    @Override
    public void flush() {
      target.flush();
    }
  }
}
