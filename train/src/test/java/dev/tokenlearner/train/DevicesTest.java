package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.RuntimeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Device selection on this build (CPU natives, no GPU). */
class DevicesTest {

  @Test
  void select_gpuWithCpuNatives_throwsNamingWhatIsMissing() {
    Devices.GpuUnavailableException e =
        assertThrows(
            Devices.GpuUnavailableException.class,
            () -> Devices.select(RuntimeConfig.Device.GPU, false));
    assertTrue(e.getMessage().contains("CPU build"), e.getMessage());
    assertTrue(e.getMessage().contains("-Pgpu"), e.getMessage());
    assertTrue(e.getMessage().contains("--device cpu"), e.getMessage());
  }

  @Test
  void select_cpu_cpuDeviceWithGpusHidden() {
    Devices.Placement p = Devices.select(RuntimeConfig.Device.CPU, false);
    assertEquals(Devices.CPU, p.device());
    assertFalse(p.gpu());
    assertEquals(0, p.sessionConfig().getDeviceCountOrThrow("GPU"));
    assertTrue(p.sessionConfig().getAllowSoftPlacement());
  }

  @Test
  void select_autoWithoutGpu_cpuAndSaysWhy() {
    Devices.Placement p = Devices.select(RuntimeConfig.Device.AUTO, true);
    assertEquals(Devices.CPU, p.device());
    assertTrue(p.reason().contains("no usable GPU"), p.reason());
    assertTrue(p.sessionConfig().getLogDevicePlacement());
  }

  @Test
  void requirements_someLibrariesMissing_namesExactlyThose() {
    Set<String> present = Set.of("libcuda.so.1", "libcudart.so.12", "libcublas.so.12");
    List<String> missing = Devices.requirements(true, present::contains);
    assertEquals(1, missing.size(), missing.toString());
    String m = missing.get(0);
    assertTrue(m.contains("libcudnn.so.9") && m.contains("libcublasLt.so.12"), m);
    assertFalse(m.contains("libcudart.so.12"), m);
  }

  @Test
  void requirements_noDriverAndCpuNatives_namesBoth() {
    List<String> missing = Devices.requirements(false, lib -> !lib.equals("libcuda.so.1"));
    assertEquals(2, missing.size(), missing.toString());
    assertTrue(missing.get(0).contains("CPU build"));
    assertTrue(missing.get(1).contains("no NVIDIA driver"));
  }

  @Test
  void list_cpuBuild_cpuDeviceAndNoGpu() {
    List<String> devices = Devices.list();
    assertTrue(devices.stream().anyMatch(d -> d.contains("device:CPU:0 (CPU")), devices.toString());
    assertFalse(devices.stream().anyMatch(d -> d.contains("GPU")), devices.toString());
  }

  @Test
  void requirements_everythingPresent_nothingMissing() {
    assertEquals(List.of(), Devices.requirements(true, lib -> true));
  }

  @Test
  void trainerRun_deviceGpuWithoutGpu_failsBeforeTraining(@TempDir Path dir) {
    var cfg = TestConfigs.tiny("device: gpu");
    assertThrows(
        Devices.GpuUnavailableException.class,
        () -> Trainer.run(cfg, dir, false, Optional.empty()));
    try (var files = Files.list(dir)) {
      assertEquals(0, files.count(), "nothing written");
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
