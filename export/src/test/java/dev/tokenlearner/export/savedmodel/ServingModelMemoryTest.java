package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A serving loop over every signature at batch sizes 1 and 8 does not grow the process's resident
 * memory once warmed up: every {@code Tensor} and {@code Result} is closed.
 *
 * <p>Growth is measured as {@code VmRSS} from {@code /proc/self/status} minus the growth of the
 * committed Java heap (which the JVM may expand instead of collecting), so what is left is native
 * memory; it is taken over the last three quarters of the loop, since allocators still settle
 * during the first. The test runs 1,000 calls; {@code -Dtokenlearner.servingLoop=10000} runs the
 * long loop the README reports.
 */
class ServingModelMemoryTest {

  private static final int CALLS = Integer.getInteger("tokenlearner.servingLoop", 1_000);
  private static final int WARM_UP_CALLS = 300;
  private static final int SAMPLES = 4;

  /**
   * Native growth allowed over the last three quarters. Leaking just the input tensor of every call
   * (13.8 KB on average over batch 1 and 8) would add about 10 MiB over 750 calls.
   */
  private static final long MAX_NATIVE_GROWTH_BYTES = 8L << 20;

  /**
   * Growth every quarter must reach to count as a steady climb; that leak would add about 3.4 MiB a
   * quarter.
   */
  private static final long MIN_STEADY_CLIMB_BYTES = 1L << 20;

  @Test
  void run_servingLoop_nativeMemoryStaysFlatAfterWarmUp(@TempDir Path tmp) throws IOException {
    try (ServingModel m = ServingModel.load(ServingFixture.export(tmp.resolve("m")))) {
      List<String> sigs = ServingFixture.floatSignatures(m);
      List<HostArray> batches = new ArrayList<>();
      List<String> batchSig = new ArrayList<>();
      for (String sig : sigs) {
        for (int n : ServingFixture.BATCH_SIZES) {
          batches.add(ServingFixture.batch(m, sig, n, n));
          batchSig.add(sig);
        }
      }
      int k = 0;
      for (; k < WARM_UP_CALLS; k++) {
        m.run(batchSig.get(k % batches.size()), batches.get(k % batches.size()));
      }
      // The first collections after the warm-up return memory to the system (about 100 MiB);
      // one more quarter of the loop, with a collection, settles that before the baseline.
      settledRssBytes();
      for (int i = 0; i < CALLS / SAMPLES; i++, k++) {
        m.run(batchSig.get(k % batches.size()), batches.get(k % batches.size()));
      }
      // RSS after each quarter of the loop: the first sample is the baseline, the rest show
      // whether memory keeps climbing.
      long[] rss = new long[SAMPLES + 1];
      long[] heap = new long[SAMPLES + 1];
      rss[0] = settledRssBytes();
      heap[0] = committedHeapBytes();
      for (int sample = 1; sample <= SAMPLES; sample++) {
        for (int i = 0; i < CALLS / SAMPLES; i++, k++) {
          m.run(batchSig.get(k % batches.size()), batches.get(k % batches.size()));
        }
        rss[sample] = settledRssBytes();
        heap[sample] = committedHeapBytes();
      }
      // Allocators settle during the first quarter too (thread arenas fill up); a leak shows as
      // growth that continues over the last three quarters.
      long nativeGrowth = (rss[SAMPLES] - rss[1]) - (heap[SAMPLES] - heap[1]);
      StringBuilder trace = new StringBuilder();
      for (long r : rss) {
        trace.append(String.format(" %.1f", r / 1048576.0));
      }
      System.out.printf(
          "serving loop: %d calls (%d signatures x batch %s) after %d warm-up: VmRSS MiB per"
              + " quarter%s; committed heap %+.1f MiB; native growth over the last three"
              + " quarters %+.1f MiB%n",
          CALLS,
          sigs.size(),
          ServingFixture.BATCH_SIZES,
          WARM_UP_CALLS,
          trace,
          (heap[SAMPLES] - heap[1]) / 1048576.0,
          nativeGrowth / 1048576.0);
      // A leak climbs in every quarter; a one-off jump (an allocator arena, a late JIT buffer) on a
      // loaded machine does not, so it alone does not fail the test.
      long smallestQuarter = Long.MAX_VALUE;
      for (int sample = 2; sample <= SAMPLES; sample++) {
        long quarter = (rss[sample] - rss[sample - 1]) - (heap[sample] - heap[sample - 1]);
        smallestQuarter = Math.min(smallestQuarter, quarter);
      }
      assertTrue(
          nativeGrowth < MAX_NATIVE_GROWTH_BYTES || smallestQuarter < MIN_STEADY_CLIMB_BYTES,
          "native memory grew by "
              + nativeGrowth
              + " bytes over the last 3/4 of "
              + CALLS
              + " calls, at least "
              + smallestQuarter
              + " bytes in every quarter");
    }
  }

  private static long settledRssBytes() throws IOException {
    System.gc();
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("/proc/self/status has no VmRSS line");
  }

  private static long committedHeapBytes() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
  }
}
