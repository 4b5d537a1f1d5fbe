package dev.tokenlearner.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads CUDA and cuDNN from JavaCPP's {@code org.bytedeco:cuda} redistributable (Maven profile
 * {@code gpu}) before TensorFlow opens them, so a machine with only the NVIDIA driver can train on
 * its GPU. TensorFlow opens {@code libcudart.so.12} and the others by name with {@code dlopen},
 * which returns the copy already loaded into the process.
 *
 * <p>Without the redistributable on the class path this does nothing; TensorFlow then looks for the
 * libraries on the system library path.
 */
final class CudaRedist {

  private static final Logger LOG = LoggerFactory.getLogger(CudaRedist.class);

  /** JavaCPP preset classes whose loading extracts and loads each library. */
  private static final List<String> PRESETS =
      List.of(
          "org.bytedeco.cuda.global.cudart",
          "org.bytedeco.cuda.global.cublas",
          "org.bytedeco.cuda.global.cufft",
          "org.bytedeco.cuda.global.cusolver",
          "org.bytedeco.cuda.global.cusparse",
          "org.bytedeco.cuda.global.cudnn");

  private static boolean attempted;

  private CudaRedist() {}

  /** Loads every preset found on the class path once; failures are logged, not thrown. */
  static synchronized void preload() {
    if (attempted) {
      return;
    }
    attempted = true;
    for (String preset : PRESETS) {
      try {
        Class<?> c = Class.forName(preset, false, CudaRedist.class.getClassLoader());
        Loader.load(c);
      } catch (ClassNotFoundException e) {
        return;
      } catch (RuntimeException | LinkageError e) {
        LOG.warn("could not load {} from the CUDA redistributable: {}", preset, e.toString());
      }
    }
  }

  /** Whether JavaCPP has loaded a library file named {@code name} (e.g. libcudnn.so.9). */
  static boolean loaded(String name) {
    Map<String, String> libs = Loader.getLoadedLibraries();
    return libs.values().stream()
        .filter(p -> p != null && !p.isEmpty())
        .map(p -> Path.of(p).getFileName().toString())
        .anyMatch(f -> f.equals(name) || f.startsWith(name + "."));
  }
}
