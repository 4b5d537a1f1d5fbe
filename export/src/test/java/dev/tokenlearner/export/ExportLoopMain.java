package dev.tokenlearner.export;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ExportSpec;
import dev.tokenlearner.export.savedmodel.SavedModelExporter;
import dev.tokenlearner.weights.ImportOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Writes one SavedModel over and over until killed, for {@link ExportCrashSafetyTest}: {@code
 * ExportLoopMain export <target>} alternates the fixture weights with and without {@link
 * #HEAD_SHIFT} added to the head bias; {@code ExportLoopMain import <target>} repeats {@code
 * import} of the fixture checkpoint. It prints {@code ready} after a first write of the unshifted
 * weights, then {@code committed <n>} after each further write.
 */
public final class ExportLoopMain {

  /** The fixture set written. */
  public static final String SET = "tiny_v11";

  /** Added to {@code output_projection/bias} in every other export. */
  public static final float HEAD_SHIFT = 1f;

  private ExportLoopMain() {}

  /**
   * The fixture's weights, with the head bias shifted by {@code delta}.
   *
   * @param delta the shift
   * @return weights by Flax path
   * @throws Exception if the fixture cannot be read
   */
  public static Map<String, HostArray> weights(float delta) throws Exception {
    Map<String, HostArray> w = new HashMap<>(Checkpoints.read(Fixtures.checkpoint(SET)).params());
    HostArray b = w.get("output_projection/bias");
    float[] data = b.data().clone();
    for (int i = 0; i < data.length; i++) {
      data[i] += delta;
    }
    w.put("output_projection/bias", new HostArray(b.shape(), data));
    return w;
  }

  /**
   * The exporter used for the fixture model.
   *
   * @return an exporter that overwrites
   * @throws Exception if the fixture config cannot be read
   */
  public static SavedModelExporter exporter() throws Exception {
    ExperimentConfig config = ConfigLoader.load(Fixtures.set(SET).resolve("config.json"));
    return SavedModelExporter.of(ExportSpec.of(config, Optional.empty())).overwrite(true);
  }

  /**
   * Entry point.
   *
   * @param args {@code export|import} and the target directory
   * @throws Exception on any failure (the parent sees a non-zero exit)
   */
  public static void main(String[] args) throws Exception {
    Path target = Path.of(args[1]);
    boolean export = args[0].equals("export");
    Map<String, HostArray> shifted = weights(HEAD_SHIFT);
    Map<String, HostArray> plain = weights(0);
    SavedModelExporter exporter = exporter();
    // The first write (of the target's current weights) also loads TensorFlow's native
    // library; kill points are counted from its end, so they fall in steady-state writes.
    write(export, exporter, plain, target);
    System.out.println("ready");
    System.out.flush();
    for (int n = 0; ; n++) {
      write(export, exporter, n % 2 == 0 ? shifted : plain, target);
      System.out.println("committed " + n);
      System.out.flush();
    }
  }

  private static void write(
      boolean export, SavedModelExporter exporter, Map<String, HostArray> weights, Path target)
      throws Exception {
    if (export) {
      exporter.export(target, weights);
    } else {
      ScenicImport.run(
          Fixtures.checkpoint(SET),
          Fixtures.set(SET).resolve("config.json"),
          target,
          ImportOptions.strict(),
          true);
    }
  }
}
