package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/** The {@code tiny_v11} fixture exported as a SavedModel, and inputs for serving tests. */
final class ServingFixture {

  static final String SET = "tiny_v11";

  /** Batch sizes the serving tests cycle through. */
  static final List<Integer> BATCH_SIZES = List.of(1, 8);

  private ServingFixture() {}

  /** Exports the fixture model into {@code dir}. */
  static Path export(Path dir) throws IOException {
    ExperimentConfig config = ConfigLoader.load(Fixtures.set(SET).resolve("config.json"));
    SavedModelExporter.of(ExportSpec.of(config, Optional.empty()))
        .export(dir, Checkpoints.read(Fixtures.checkpoint(SET)).params());
    return dir;
  }

  /** A batch of {@code n} images of the model's input size, values from {@code seed}. */
  static HostArray batch(ServingModel m, String signature, int n, long seed) {
    long[] shape = m.inputShape(signature).clone();
    shape[0] = n;
    int size = 1;
    for (long d : shape) {
      size = Math.multiplyExact(size, Math.toIntExact(d));
    }
    float[] data = new float[size];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      data[i] = (float) r.nextDouble(-1, 1);
    }
    return new HostArray(shape, data);
  }

  /** The model's signatures that take float32 images (all but {@code serving_bytes}). */
  static List<String> floatSignatures(ServingModel m) {
    return m.signatures().stream().filter(s -> !s.equals(Signatures.SERVING_BYTES)).toList();
  }
}
