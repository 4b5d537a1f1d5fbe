package dev.tokenlearner.train;

import java.time.Duration;
import java.util.Locale;
import java.util.OptionalDouble;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The console progress bar of a run (step, loss, accuracy, held-out accuracy, images/s), or none.
 */
final class Progress implements AutoCloseable {

  private final ProgressBar bar;

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  /** A bar from {@code start} to {@code total} when {@code show}, otherwise a silent one. */
  static Progress of(boolean show, long start, long total) {
    if (!show) {
      return new Progress(null);
    }
    ProgressBarBuilder b =
        new ProgressBarBuilder()
            .setTaskName("train")
            .setInitialMax(total)
            .startsFrom(start, Duration.ZERO)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(500);
    // On Java 17, a null console means standard output is not a terminal.
    @SuppressWarnings("SystemConsoleNull")
    boolean terminal = System.console() != null;
    if (!terminal) {
      // Not an interactive terminal (a log file, CI): its width is unknown, so do not cut the line.
      b.setMaxRenderedLength(120);
    }
    return new Progress(b.build());
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
  }
}
