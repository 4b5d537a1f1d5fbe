package dev.tokenlearner.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the YAML/JSON config loader: any text either loads or fails with a {@link ConfigException}
 * naming the key, and allocates at most 64 MiB plus 64 bytes per input byte (aliases and deep
 * nesting must not blow up). An input over the bound is run twice before it fails, so the loading
 * of classes on a first run is not counted.
 *
 * <p>Seeds are bundled configs and a fixture's {@code config.json}.
 */
class ConfigLoaderFuzzTest {

  private static final long BASE_BYTES = 64L << 20;
  private static final long PER_INPUT_BYTE = 64;

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void parse_anyText_configOrConfigException(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    long bound = BASE_BYTES + PER_INPUT_BYTE * data.length;
    long used = allocatedParsing(text);
    if (used > bound) {
      used = allocatedParsing(text);
    }
    if (used > bound) {
      throw new AssertionError(
          "allocated " + used + " bytes for a " + data.length + "-byte config; bound " + bound);
    }
  }

  private static long allocatedParsing(String text) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(tid);
    try {
      ConfigLoader.parse(text, "fuzz.yaml");
    } catch (ConfigException expected) {
      // a typed refusal naming the key is the right outcome for a bad config
    }
    return threads.getThreadAllocatedBytes(tid) - before;
  }
}
