package dev.tokenlearner.train.profile;

import java.time.Instant;
import java.util.function.Consumer;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * TensorFlow's step stats of one traced {@code Session.run} and when it ran.
 *
 * @param metadata the run's metadata with its per-op step stats
 * @param startMicros wall-clock time the run was called, microseconds since the epoch (the clock of
 *     the step stats)
 * @param sessionNanos time spent inside {@code Session.run}
 */
public record RunTrace(RunMetadata metadata, long startMicros, long sessionNanos) {

  private static final RunOptions FULL_TRACE =
      RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();

  /**
   * Runs {@code runner} with full tracing and hands its trace to {@code sink}.
   *
   * @param runner feeds, fetches and targets set
   * @param sink receives the trace after the run
   * @return the run's result; the caller closes it
   */
  public static Result run(Session.Runner runner, Consumer<RunTrace> sink) {
    Instant at = Instant.now();
    long t0 = System.nanoTime();
    Result r = runner.setOptions(FULL_TRACE).runAndFetchMetadata();
    long nanos = System.nanoTime() - t0;
    sink.accept(
        new RunTrace(
            r.getMetadata().orElseGet(RunMetadata::getDefaultInstance),
            at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000,
            nanos));
    return r;
  }
}
