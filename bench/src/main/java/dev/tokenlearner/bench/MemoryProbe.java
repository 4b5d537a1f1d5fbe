package dev.tokenlearner.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Peak Java heap and peak resident memory of this process over a phase.
 *
 * <p>Heap: the sum of every heap pool's peak since {@link #start()} (an upper bound on the true
 * peak, since pools need not peak together). Resident: Linux's {@code VmHWM}, reset at {@link
 * #start()} by writing {@code 5} to {@code /proc/self/clear_refs}; native TF tensors and weights
 * show up here, not in the heap. Where {@code /proc} is missing the resident figures are empty.
 */
public final class MemoryProbe {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private final boolean hwmReset;
  private final OptionalLong startResident;

  private MemoryProbe(boolean hwmReset, OptionalLong startResident) {
    this.hwmReset = hwmReset;
    this.startResident = startResident;
  }

  /**
   * Peaks over one phase.
   *
   * @param peakHeapBytes sum of heap pool peaks
   * @param peakResidentBytes the resident high-water mark, if the OS reports it
   * @param residentPeakIsPhaseLocal whether the high-water mark was reset at the phase start (else
   *     it is the process-wide peak so far)
   * @param startResidentBytes the resident set size when the phase began, if the OS reports it
   */
  public record Peaks(
      long peakHeapBytes,
      OptionalLong peakResidentBytes,
      boolean residentPeakIsPhaseLocal,
      OptionalLong startResidentBytes) {}

  /**
   * Starts a phase: resets the heap pools' peaks and, where allowed, the resident high-water mark.
   *
   * @return the probe to {@link #stop()} at the end of the phase
   */
  public static MemoryProbe start() {
    pools().forEach(MemoryPoolMXBean::resetPeakUsage);
    boolean reset;
    try {
      Files.writeString(CLEAR_REFS, "5");
      reset = true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      reset = false;
    }
    return new MemoryProbe(reset, residentBytes());
  }

  /**
   * Ends the phase.
   *
   * @return the peaks since {@link #start()}
   */
  public Peaks stop() {
    long heap = 0;
    for (MemoryPoolMXBean p : pools()) {
      heap += p.getPeakUsage().getUsed();
    }
    return new Peaks(heap, statusKb("VmHWM:"), hwmReset, startResident);
  }

  /**
   * The current resident set size.
   *
   * @return {@code VmRSS} in bytes, if the OS reports it
   */
  public static OptionalLong residentBytes() {
    return statusKb("VmRSS:");
  }

  private static List<MemoryPoolMXBean> pools() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && p.isValid())
        .toList();
  }

  private static OptionalLong statusKb(String key) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(key)) {
          String v = line.substring(key.length()).trim();
          // "123456 kB"
          return OptionalLong.of(Long.parseLong(v.split("\\s+")[0]) * 1024L);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }
}
