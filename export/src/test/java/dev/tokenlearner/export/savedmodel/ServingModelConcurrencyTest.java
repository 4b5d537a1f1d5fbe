package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenlearner.core.HostArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One loaded {@link ServingModel} shared by many threads gives exactly the outputs of sequential
 * calls, and close waits for calls in flight.
 */
class ServingModelConcurrencyTest {

  private static final int THREADS = 16;
  private static final int CALLS_PER_THREAD = 500;
  private static final int DISTINCT_INPUTS = 4;

  /** One call: a signature on one of the prepared batches. */
  private record Call(String signature, HostArray batch, HostArray expected) {}

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void runAll_16ThreadsX500Calls_sameOutputsAsSequential(@TempDir Path tmp) throws Exception {
    try (ServingModel m = ServingModel.load(ServingFixture.export(tmp.resolve("m")))) {
      // Sequential reference for every (signature, batch size, input) the threads will use.
      List<Call> calls = new ArrayList<>();
      // The float signatures; serving_bytes takes encoded images (ServingBytesTest).
      for (String sig : ServingFixture.floatSignatures(m)) {
        for (int n : ServingFixture.BATCH_SIZES) {
          for (int k = 0; k < DISTINCT_INPUTS; k++) {
            HostArray batch = ServingFixture.batch(m, sig, n, 31L * n + k);
            calls.add(new Call(sig, batch, m.run(sig, batch)));
          }
        }
      }
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      try {
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int thread = t;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    for (int i = 0; i < CALLS_PER_THREAD; i++) {
                      // Threads walk the calls from different starting points, so every call
                      // overlaps with others of other signatures and batch sizes.
                      Call c = calls.get((thread * 7 + i) % calls.size());
                      HostArray out = m.run(c.signature, c.batch);
                      assertArrayEquals(c.expected.shape(), out.shape(), c.signature);
                      assertArrayEquals(c.expected.data(), out.data(), c.signature);
                    }
                    return CALLS_PER_THREAD;
                  }));
        }
        start.countDown();
        int done = 0;
        for (Future<Integer> f : results) {
          done += f.get();
        }
        assertEquals(THREADS * CALLS_PER_THREAD, done);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void close_whileThreadsRun_waitsThenRefusesNewCalls(@TempDir Path tmp) throws Exception {
    ServingModel m = ServingModel.load(ServingFixture.export(tmp.resolve("m")));
    HostArray batch = ServingFixture.batch(m, Signatures.SERVING_DEFAULT, 8, 1);
    HostArray expected = m.run(Signatures.SERVING_DEFAULT, batch);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(
            pool.submit(
                () -> {
                  int ok = 0;
                  while (true) {
                    try {
                      HostArray out = m.run(Signatures.SERVING_DEFAULT, batch);
                      assertArrayEquals(expected.data(), out.data());
                      ok++;
                    } catch (IllegalStateException closed) {
                      return ok;
                    }
                  }
                }));
      }
      Thread.sleep(200);
      m.close();
      for (Future<Integer> f : results) {
        f.get(1, TimeUnit.MINUTES); // every thread saw a clean refusal, none a crash
      }
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> m.run(Signatures.SERVING_DEFAULT, batch));
      assertEquals("model " + m.directory() + " has been closed", e.getMessage());
      m.close(); // twice is harmless
    } finally {
      pool.shutdownNow();
    }
  }
}
