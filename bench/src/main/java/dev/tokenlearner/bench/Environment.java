package dev.tokenlearner.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.tensorflow.TensorFlow;

/**
 * What machine and runtime a benchmark ran on.
 *
 * @param cpus available processors
 * @param cpuModel the CPU model name, if the OS tells
 * @param javaVersion {@code java.version}
 * @param tensorflowVersion the native TF version
 * @param maxHeapBytes the JVM's maximum heap
 * @param loadAverage the 1/5/15-minute load averages, if the OS tells
 */
public record Environment(
    int cpus,
    String cpuModel,
    String javaVersion,
    String tensorflowVersion,
    long maxHeapBytes,
    Optional<String> loadAverage) {

  /**
   * Describes this process's machine now.
   *
   * @return the environment
   */
  public static Environment current() {
    return new Environment(
        Runtime.getRuntime().availableProcessors(),
        readCpuModel(),
        System.getProperty("java.version"),
        TensorFlow.version(),
        Runtime.getRuntime().maxMemory(),
        currentLoadAverage());
  }

  /**
   * The load averages now.
   *
   * @return {@code "1m 5m 15m"} from {@code /proc/loadavg}, if present
   */
  public static Optional<String> currentLoadAverage() {
    try {
      String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return Optional.of(p[0] + " " + p[1] + " " + p[2]);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static String readCpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux; fall through.
    }
    return System.getProperty("os.arch");
  }
}
