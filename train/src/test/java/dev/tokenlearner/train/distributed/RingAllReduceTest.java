package dev.tokenlearner.train.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Replicas in threads of one JVM over loopback. The rings listen on all interfaces, so this runs in
 * the {@code distributed} test run (a private network namespace).
 */
@Tag("distributed")
class RingAllReduceTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  /** Replica r's value i: distinct per replica, with a wide range of magnitudes. */
  private static float value(int r, int i) {
    return (float) Math.sin(i * (r + 1) / 1000.0) * (1 + (i % 7) * 100);
  }

  @Test
  void threeReplicasAgreeAndEqualTheMean() throws Exception {
    // Odd length and small chunks: uneven segments, a partial last chunk, many pipelined chunks.
    int n = 3;
    int floats = 100_003;
    List<float[]> out = run(n, floats, new RingAllReduce.Settings(TIMEOUT, TIMEOUT, 4096, false));
    double worst = 0;
    for (int i = 0; i < floats; i++) {
      double exact = 0;
      double scale = 1e-3;
      for (int r = 0; r < n; r++) {
        exact += value(r, i);
        scale = Math.max(scale, Math.abs(value(r, i)));
      }
      exact /= n;
      worst = Math.max(worst, Math.abs(out.get(0)[i] - exact) / scale);
    }
    // float32 rounding of two additions and a division, relative to the largest addend.
    assertTrue(worst < 1e-6, "largest error " + worst);
    for (int r = 1; r < n; r++) {
      assertArrayEquals(out.get(0), out.get(r), "replica " + r + " differs from replica 0");
    }
  }

  @Test
  void twoReplicasSumExactlyAndRepeat() throws Exception {
    // Two replicas add two floats once: exactly the float32 mean, on both, call after call.
    int floats = 50_001;
    List<float[]> out = run(2, floats, new RingAllReduce.Settings(TIMEOUT, TIMEOUT, 1024, false));
    for (int i = 0; i < floats; i++) {
      assertEquals((value(0, i) + value(1, i)) / 2f, out.get(0)[i], "float " + i);
    }
    assertArrayEquals(out.get(0), out.get(1));
  }

  @Test
  void bfloat16WireStaysWithinItsPrecisionAndReplicasAgree() throws Exception {
    int n = 3;
    int floats = 30_001;
    List<float[]> out = run(n, floats, new RingAllReduce.Settings(TIMEOUT, TIMEOUT, 2048, true));
    double worst = 0;
    for (int i = 0; i < floats; i++) {
      double exact = 0;
      double scale = 0;
      for (int r = 0; r < n; r++) {
        exact += value(r, i);
        scale = Math.max(scale, Math.abs(value(r, i)));
      }
      exact /= n;
      worst = Math.max(worst, Math.abs(out.get(0)[i] - exact) / Math.max(1e-3, scale));
    }
    // Three roundings to an 8-bit mantissa (2^-9 each), relative to the largest addend.
    assertTrue(worst < 3 * Math.pow(2, -9), "largest error " + worst);
    assertTrue(worst > 0, "bfloat16 must round something");
    for (int r = 1; r < n; r++) {
      assertArrayEquals(out.get(0), out.get(r), "replica " + r + " differs from replica 0");
    }
  }

  @Test
  void bfloat16BitsRoundToNearestEven() {
    assertEquals((short) 0x3f80, RingAllReduce.bfloat16Bits(1f));
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
    assertEquals((short) 0x3f80, RingAllReduce.bfloat16Bits(1f + 0x1p-8f));
    assertEquals((short) 0x3f81, RingAllReduce.bfloat16Bits(1f + 0x1p-8f + 0x1p-20f));
    assertTrue(Float.isNaN(Float.intBitsToFloat(RingAllReduce.bfloat16Bits(Float.NaN) << 16)));
  }

  @Test
  void aPeerThatNeverStartsIsNamedAfterTheStartupTimeout() throws Exception {
    List<InetSocketAddress> ring = addresses(2);
    RingAllReduce.Settings s =
        new RingAllReduce.Settings(Duration.ofSeconds(2), TIMEOUT, 4096, false);
    long t0 = System.nanoTime();
    RingAllReduceException e =
        assertThrows(RingAllReduceException.class, () -> RingAllReduce.connect(ring, 0, s));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(
        e.getMessage()
            .contains(
                "replica 1 (" + ring.get(1).getHostString() + ":" + ring.get(1).getPort() + ")"),
        e.getMessage());
    assertTrue(seconds < 10, "gave up after " + seconds + " s");
  }

  @Test
  void differentLengthsAreATypedErrorNamingThePeer() throws Exception {
    List<Throwable> errors =
        runExpectingFailure(
            (ring, r) -> {
              ring.allReduceMean(direct(r == 0 ? 100 : 200));
              return null;
            });
    assertTrue(
        errors.stream().anyMatch(e -> e.getMessage().contains("sent all-reduce #1 of 200 float32")),
        errors.toString());
  }

  @Test
  void aPeerThatDiesMidRunIsNamed() throws Exception {
    List<Throwable> errors =
        runExpectingFailure(
            (ring, r) -> {
              if (r == 1) {
                ring.close();
                return null;
              }
              ring.allReduceMean(direct(1_000_000));
              return null;
            });
    assertTrue(
        errors.stream().anyMatch(e -> e.getMessage().matches("(?s)replica 0: .*replica 1 .*")),
        errors.toString());
  }

  private static List<Throwable> runExpectingFailure(BiFunction<RingAllReduce, Integer, Void> body)
      throws Exception {
    List<InetSocketAddress> ring = addresses(2);
    RingAllReduce.Settings s =
        new RingAllReduce.Settings(TIMEOUT, Duration.ofSeconds(5), 4096, false);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Throwable> errors = new ArrayList<>();
    try {
      List<Future<Void>> fs = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        fs.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ar = RingAllReduce.connect(ring, rank, s)) {
                    return body.apply(ar, rank);
                  }
                }));
      }
      for (Future<Void> f : fs) {
        try {
          f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertTrue(e.getCause() instanceof RingAllReduceException, e.getCause().toString());
          errors.add(e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(!errors.isEmpty(), "expected a failure");
    return errors;
  }

  private static List<float[]> run(int n, int floats, RingAllReduce.Settings s) throws Exception {
    List<InetSocketAddress> ring = addresses(n);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<float[]>> fs = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        fs.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ar = RingAllReduce.connect(ring, rank, s)) {
                    float[] got = null;
                    for (int call = 0; call < 2; call++) {
                      ByteBuffer b = direct(floats);
                      for (int i = 0; i < floats; i++) {
                        b.putFloat(i * 4, value(rank, i));
                      }
                      ar.allReduceMean(b);
                      float[] now = new float[floats];
                      b.asFloatBuffer().get(now);
                      if (got != null) {
                        assertArrayEquals(got, now, "second call differs from the first");
                      }
                      got = now;
                    }
                    return got;
                  }
                }));
      }
      List<float[]> out = new ArrayList<>();
      for (Future<float[]> f : fs) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static ByteBuffer direct(int floats) {
    return ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static List<InetSocketAddress> addresses(int n) throws IOException {
    List<InetSocketAddress> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        out.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
      }
    }
    return out;
  }
}
