package dev.tokenlearner.train;

import java.util.Locale;

/**
 * Where the training loop's wall time went, in seconds. The parts do not overlap and add up to
 * {@code loop}.
 *
 * @param loop wall time of the whole loop (steps, summaries, evaluation, checkpoints)
 * @param inputWait waiting for the next batch from the input workers
 * @param host the loop's thread outside {@code Session.run}, input, evaluation and checkpoints:
 *     making feed tensors, reading fetches, summaries, the progress bar
 * @param compute inside the training steps' {@code Session.run}
 * @param evaluation held-out evaluation and multi-crop tests
 * @param checkpoint writing checkpoints
 */
public record TimeBreakdown(
    double loop,
    double inputWait,
    double host,
    double compute,
    double evaluation,
    double checkpoint) {

  /** From the loop's nanosecond counters; {@code host} is what the others leave of {@code loop}. */
  static TimeBreakdown ofNanos(
      long loop, long inputWait, long compute, long evaluation, long checkpoint) {
    long host = Math.max(0, loop - inputWait - compute - evaluation - checkpoint);
    return new TimeBreakdown(
        loop / 1e9, inputWait / 1e9, host / 1e9, compute / 1e9, evaluation / 1e9, checkpoint / 1e9);
  }

  /** One line: each part in seconds and as a share of the loop. */
  public String format() {
    return String.format(
        Locale.ROOT,
        "loop %.1f s: input wait %s, host overhead %s, TF compute %s, evaluation %s, checkpoints %s",
        loop,
        part(inputWait),
        part(host),
        part(compute),
        part(evaluation),
        part(checkpoint));
  }

  private String part(double seconds) {
    return String.format(
        Locale.ROOT, "%.1f s (%.0f %%)", seconds, loop == 0 ? 0 : 100 * seconds / loop);
  }
}
