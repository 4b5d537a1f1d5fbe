package dev.tokenlearner.train;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_CloseSession;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteDeviceList;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteGraph;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteSession;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteSessionOptions;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeviceListCount;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeviceListMemoryBytes;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeviceListName;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeviceListType;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_NewGraph;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_NewSession;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_NewSessionOptions;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SessionListDevices;

import dev.tokenlearner.config.RuntimeConfig;
import dev.tokenlearner.core.UserError;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.TF_DeviceList;
import org.tensorflow.internal.c_api.TF_Graph;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;

/**
 * Which device TensorFlow runs the steps on ({@code device: cpu|gpu|auto}).
 *
 * <p>The CPU natives are the default; the GPU natives come with the Maven profile {@code gpu}
 * (TensorFlow 2.18 loads CUDA 12 and cuDNN 9 at run time). {@code gpu} checks everything a GPU run
 * needs before any graph is built and fails naming what is missing, instead of TensorFlow's silent
 * fallback to the CPU.
 */
public final class Devices {

  /** The CPU device name. */
  public static final String CPU = "/device:CPU:0";

  /** The first GPU's device name. */
  public static final String GPU = "/device:GPU:0";

  /** Class-path folder of the GPU build of {@code tensorflow-core-native}. */
  static final String GPU_NATIVES = "org/tensorflow/internal/c_api/linux-x86_64-gpu/";

  /** The NVIDIA driver's user-space library, which TensorFlow opens first. */
  static final String DRIVER_LIBRARY = "libcuda.so.1";

  /** The CUDA 12 / cuDNN 9 libraries TensorFlow 2.18 opens at run time. */
  static final List<String> CUDA_LIBRARIES =
      List.of(
          "libcudart.so.12",
          "libcublas.so.12",
          "libcublasLt.so.12",
          "libcufft.so.11",
          "libcusolver.so.11",
          "libcusparse.so.12",
          "libcudnn.so.9");

  private static final List<String> LIBRARY_DIRS =
      List.of(
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib64",
          "/usr/lib",
          "/usr/local/cuda/lib64",
          "/usr/local/cuda/targets/x86_64-linux/lib",
          "/usr/local/nvidia/lib64");

  private Devices() {}

  /**
   * Where the steps run and the session options that put them there.
   *
   * @param device {@link #CPU} or {@link #GPU}
   * @param reason why this device, for the log
   * @param sessionConfig the options every session of the run uses
   */
  public record Placement(String device, String reason, ConfigProto sessionConfig) {

    /** Whether the steps run on a GPU. */
    public boolean gpu() {
      return device.equals(GPU);
    }
  }

  /** Thrown when {@code device: gpu} is asked for and a GPU cannot be used. */
  public static final class GpuUnavailableException extends IllegalStateException
      implements UserError {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is missing
     */
    public GpuUnavailableException(String message) {
      super(message);
    }
  }

  /**
   * Chooses the device.
   *
   * @param choice the config's {@code device}
   * @param logPlacement whether TensorFlow logs each op's device
   * @return the placement
   * @throws GpuUnavailableException for {@code gpu} when something a GPU run needs is missing; the
   *     message names each missing piece
   */
  public static Placement select(RuntimeConfig.Device choice, boolean logPlacement) {
    return switch (choice) {
      case CPU -> cpu("device: cpu", logPlacement);
      case GPU -> {
        List<String> missing = gpuProblems();
        if (!missing.isEmpty()) {
          throw new GpuUnavailableException(
              "device: gpu was asked for, but no GPU can be used:\n  - "
                  + String.join("\n  - ", missing)
                  + "\nUse --device cpu (or auto) to train on the CPU.");
        }
        yield new Placement(GPU, "device: gpu", sessionConfig(logPlacement));
      }
      case AUTO -> {
        List<String> missing = gpuProblems();
        yield missing.isEmpty()
            ? new Placement(GPU, "device: auto found a GPU", sessionConfig(logPlacement))
            : cpu("device: auto found no usable GPU (" + missing.get(0) + ")", logPlacement);
      }
    };
  }

  private static Placement cpu(String reason, boolean logPlacement) {
    // Hiding the GPUs keeps the GPU natives from placing ops there.
    ConfigProto cfg = sessionConfig(logPlacement).toBuilder().putDeviceCount("GPU", 0).build();
    return new Placement(CPU, reason, cfg);
  }

  /**
   * Session options: soft placement (ops without a GPU kernel fall back to the CPU) and, if asked,
   * TensorFlow's own log of every op's device.
   *
   * @param logPlacement whether TensorFlow logs each op's device
   * @return the session config
   */
  public static ConfigProto sessionConfig(boolean logPlacement) {
    return ConfigProto.newBuilder()
        .setAllowSoftPlacement(true)
        .setLogDevicePlacement(logPlacement)
        .build();
  }

  /**
   * Everything that keeps TensorFlow from using a GPU here, in the order TensorFlow needs it: the
   * GPU natives, the NVIDIA driver, the CUDA and cuDNN libraries, then an op placed on the GPU.
   *
   * @return one line per missing piece; empty when a GPU is usable
   */
  public static List<String> gpuProblems() {
    boolean natives = Devices.class.getClassLoader().getResource(GPU_NATIVES) != null;
    CudaRedist.preload();
    List<String> ldconfig = ldconfigLibraries();
    Predicate<String> found = lib -> libraryFound(lib, ldconfig);
    List<String> missing = requirements(natives, found);
    if (missing.isEmpty()) {
      probeGpu().ifPresent(missing::add);
    }
    return missing;
  }

  /**
   * The static part of {@link #gpuProblems()}: what is missing given whether the GPU natives are on
   * the class path and which libraries can be found.
   */
  static List<String> requirements(boolean gpuNatives, Predicate<String> libraryFound) {
    List<String> missing = new ArrayList<>();
    if (!gpuNatives) {
      missing.add(
          "the TensorFlow natives on the class path are the CPU build (tensorflow-core-native"
              + " linux-x86_64); build with the Maven profile gpu (mvn -Pgpu package) to get"
              + " linux-x86_64-gpu");
    }
    if (!libraryFound.test(DRIVER_LIBRARY)) {
      missing.add(
          "no NVIDIA driver: "
              + DRIVER_LIBRARY
              + " was not found (LD_LIBRARY_PATH, ldconfig, "
              + String.join(", ", LIBRARY_DIRS)
              + ")");
    }
    List<String> libs = CUDA_LIBRARIES.stream().filter(libraryFound.negate()).toList();
    if (!libs.isEmpty()) {
      missing.add(
          "CUDA 12 / cuDNN 9 libraries that could not be loaded: "
              + String.join(", ", libs)
              + " (the gpu profile's org.bytedeco:cuda redist provides them, or install CUDA 12.5+"
              + " and cuDNN 9.3+ and put them on LD_LIBRARY_PATH)");
    }
    return missing;
  }

  /** Empty when an op placed on {@link #GPU} without soft placement runs, else TF's error. */
  static Optional<String> probeGpu() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var probe =
          tf.withDevice(
                  DeviceSpec.newBuilder()
                      .deviceType(DeviceSpec.DeviceType.GPU)
                      .deviceIndex(0)
                      .build())
              .identity(tf.constant(1f));
      try (Session s =
          new Session(g, ConfigProto.newBuilder().setAllowSoftPlacement(false).build())) {
        s.runner().fetch(probe).run().close();
        return Optional.empty();
      } catch (RuntimeException e) {
        return Optional.of("TensorFlow cannot place an op on " + GPU + ": " + e.getMessage());
      }
    }
  }

  private static boolean libraryFound(String name, List<String> ldconfig) {
    if (CudaRedist.loaded(name) || ldconfig.contains(name)) {
      return true;
    }
    List<String> dirs = new ArrayList<>();
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      dirs.addAll(List.of(ld.split(":")));
    }
    dirs.addAll(LIBRARY_DIRS);
    return dirs.stream().filter(d -> !d.isBlank()).anyMatch(d -> Files.exists(Path.of(d, name)));
  }

  /** Library names in the dynamic linker's cache ({@code ldconfig -p}); empty if it cannot run. */
  private static List<String> ldconfigLibraries() {
    for (String exe : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig")) {
      try {
        Process p = new ProcessBuilder(exe, "-p").redirectErrorStream(true).start();
        List<String> names = new ArrayList<>();
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            String t = line.trim();
            int space = t.indexOf(' ');
            if (space > 0) {
              names.add(t.substring(0, space));
            }
          }
        }
        if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return names;
        }
        p.destroyForcibly();
      } catch (IOException e) {
        // Try the next location.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of();
      }
    }
    return List.of();
  }

  /**
   * The devices a TensorFlow session sees, e.g. {@code /job:localhost/replica:0/task:0/device:CPU:0
   * (CPU, 256 MiB)}.
   *
   * @return one line per device
   * @throws IllegalStateException if TensorFlow cannot open a session
   */
  public static List<String> list() {
    // TF Java has no device listing, so this goes through the C API it wraps.
    TensorFlow.version(); // loads the natives
    TF_Status status = TF_Status.newStatus();
    TF_Graph graph = TF_NewGraph();
    TF_SessionOptions options = TF_NewSessionOptions();
    try {
      TF_Session session = TF_NewSession(graph, options, status);
      status.throwExceptionIfNotOK();
      try {
        TF_DeviceList devices = TF_SessionListDevices(session, status);
        status.throwExceptionIfNotOK();
        try {
          List<String> out = new ArrayList<>();
          for (int i = 0; i < TF_DeviceListCount(devices); i++) {
            String name = TF_DeviceListName(devices, i, status).getString();
            String type = TF_DeviceListType(devices, i, status).getString();
            long bytes = TF_DeviceListMemoryBytes(devices, i, status);
            status.throwExceptionIfNotOK();
            out.add(name + " (" + type + ", " + (bytes >> 20) + " MiB)");
          }
          return out;
        } finally {
          TF_DeleteDeviceList(devices);
        }
      } finally {
        TF_CloseSession(session, status);
        TF_DeleteSession(session, status);
      }
    } finally {
      TF_DeleteSessionOptions(options);
      TF_DeleteGraph(graph);
    }
  }

  /**
   * Probes for a GPU by placing one op on {@code /device:GPU:0} without soft placement.
   *
   * @return {@code /device:GPU:0} if TensorFlow can use a GPU, else {@code /device:CPU:0}
   */
  public static String preferredDevice() {
    return probeGpu().isEmpty() ? GPU : CPU;
  }
}
