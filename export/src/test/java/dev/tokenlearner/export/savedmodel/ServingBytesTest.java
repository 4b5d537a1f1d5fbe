package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.graph.preprocess.EvalPreprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serving_bytes} against {@code serving_default} on the same images preprocessed in Java.
 */
class ServingBytesTest {

  private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog", "eel");

  @TempDir static Path tmp;
  private static Path model;
  private static InputSpec input;
  private static Normalization normalization;

  @BeforeAll
  static void export() throws IOException {
    ExperimentConfig cfg = ConfigLoader.load(Fixtures.set("tiny_v11").resolve("config.json"));
    input = cfg.input();
    normalization = cfg.normalization();
    model = tmp.resolve("m");
    SavedModelExporter.of(
            ExportSpec.of(cfg, Optional.empty())
                .withProvenance(Map.of("checkpoint", "c"))
                .withLabels(LABELS))
        .export(model, Checkpoints.read(Fixtures.checkpoint("tiny_v11")).params());
  }

  /**
   * Random RGB pixels of the given size, PNG-encoded. (Grey PNGs are left out: ImageIO's {@code
   * getRGB} maps grey through a gamma curve, TensorFlow's decoder does not.)
   */
  static byte[] png(int w, int h, long seed) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    SplittableRandom r = new SplittableRandom(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  @Test
  void runEncoded_pngsOfMixedSizes_matchServingDefaultOnJavaPreprocessedInput() throws IOException {
    List<byte[]> images = List.of(png(40, 30, 1), png(17, 50, 2), png(64, 9, 3));
    int per = input.height() * input.width() * 3;
    float[] batch = new float[per * images.size()];
    // The Java pipeline: what evaluation and predict feed serving_default.
    try (EvalPreprocessor java = new EvalPreprocessor(EvalPreprocessing.of(input, normalization))) {
      for (int i = 0; i < images.size(); i++) {
        java.run(images.get(i), "image " + i, batch, i * per);
      }
    }
    HostArray preprocessed = new HostArray(input.shape(images.size()), batch);
    // Chunk size 2 splits the three images over two session runs.
    try (ServingModel m = ServingModel.load(model, 2)) {
      HostArray expected = m.run(Signatures.SERVING_DEFAULT, preprocessed);
      Map<String, HostArray> got = m.runEncoded(Signatures.SERVING_BYTES, images);
      HostArray logits = got.get(Signatures.LOGITS);
      assertArrayEquals(expected.shape(), logits.shape());
      double diff = expected.maxAbsDiff(logits);
      assertTrue(diff <= 1e-4, "max |serving_bytes - serving_default| = " + diff);
      float[] p = got.get(Signatures.PROBABILITIES).data();
      for (int i = 0; i < images.size(); i++) {
        double sum = 0;
        for (int c = 0; c < LABELS.size(); c++) {
          sum += p[i * LABELS.size() + c];
        }
        assertEquals(1.0, sum, 1e-5);
      }
    }
  }

  @Test
  void runEncoded_videoFramesLayout_matchesServingDefaultOnPreprocessedFrames() throws IOException {
    ExperimentConfig cfg =
        ConfigLoader.load(Fixtures.set("tiny_video_3dconv").resolve("config.json"));
    InputSpec video = cfg.input();
    Path dir = tmp.resolve("video");
    SavedModelExporter.of(ExportSpec.of(cfg, Optional.empty()))
        .export(dir, Checkpoints.read(Fixtures.checkpoint("tiny_video_3dconv")).params());
    int frames = video.numFrames();
    int examples = 2;
    List<byte[]> encoded = new ArrayList<>();
    int per = video.height() * video.width() * video.channels();
    float[] batch = new float[examples * frames * per];
    try (EvalPreprocessor java =
        new EvalPreprocessor(EvalPreprocessing.of(video, cfg.normalization()))) {
      for (int i = 0; i < examples * frames; i++) {
        byte[] frame = png(20 + i, 24 - i, 50 + i);
        encoded.add(frame);
        java.run(frame, "frame " + i, batch, i * per);
      }
    }
    try (ServingModel m = ServingModel.load(dir)) {
      assertArrayEquals(new long[] {-1, frames}, m.inputShape(Signatures.SERVING_BYTES));
      HostArray expected =
          m.run(Signatures.SERVING_DEFAULT, new HostArray(video.shape(examples), batch));
      HostArray logits = m.runEncoded(Signatures.SERVING_BYTES, encoded).get(Signatures.LOGITS);
      assertArrayEquals(expected.shape(), logits.shape());
      double diff = expected.maxAbsDiff(logits);
      assertTrue(diff <= 1e-4, "max |serving_bytes - serving_default| = " + diff);
      // A frame count that is not a multiple of T is refused before running.
      assertThrows(
          IllegalArgumentException.class,
          () -> m.runEncoded(Signatures.SERVING_BYTES, encoded.subList(0, frames + 1)));
    }
  }

  @Test
  void export_withLabels_writesLabelsStatisticsAndPreprocessing() throws IOException {
    assertEquals(
        String.join("\n", LABELS) + "\n",
        Files.readString(
            model.resolve(Signatures.ASSETS_EXTRA).resolve(Signatures.LABELS_FILE),
            StandardCharsets.UTF_8));
    ModelMetadata meta = ModelMetadata.read(model);
    assertEquals(LABELS, meta.labels());
    ModelStatistics st = meta.statistics().orElseThrow();
    long expected =
        Checkpoints.read(Fixtures.checkpoint("tiny_v11")).params().values().stream()
            .mapToLong(a -> a.data().length)
            .sum();
    assertEquals(expected, st.parameters());
    assertTrue(st.gflops() > 0);
    assertEquals(EvalPreprocessing.of(input, normalization), meta.preprocessing());
    assertTrue(meta.signatures().contains(Signatures.SERVING_BYTES));
  }

  @Test
  void runEncoded_notAnImage_throwsFromTensorFlow() throws IOException {
    try (ServingModel m = ServingModel.load(model)) {
      List<byte[]> bad = new ArrayList<>();
      bad.add("not an image".getBytes(StandardCharsets.UTF_8));
      assertThrows(RuntimeException.class, () -> m.runEncoded(Signatures.SERVING_BYTES, bad));
    }
  }

  @Test
  void runEncoded_floatSignature_throwsNamingType() throws IOException {
    try (ServingModel m = ServingModel.load(model)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> m.runEncoded(Signatures.SERVING_DEFAULT, List.of(new byte[1])));
      assertTrue(e.getMessage().contains("not strings"), e.getMessage());
    }
  }
}
