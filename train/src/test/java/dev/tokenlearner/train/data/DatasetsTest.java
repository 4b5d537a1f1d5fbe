package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

  @TempDir Path dir;

  private static EvalPreprocessing eval(int size, Normalization norm) {
    return new EvalPreprocessing(size, size, 3, EvalPreprocessing.CROP_FRACTION_DEFAULT, norm);
  }

  /** A solid-colour PNG. */
  private static byte[] png(int w, int h, int rgb) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  @Test
  void tfRecordDataset_examplesWithPngs_decodesLabelsAndNormalisedPixels() throws IOException {
    Path train = dir.resolve("shapes-train.tfrecord");
    Path val = dir.resolve("shapes-validation.tfrecord");
    int[] colours = {0xFF0000, 0x00FF00, 0x0000FF};
    try (OutputStream t = Files.newOutputStream(train);
        OutputStream v = Files.newOutputStream(val)) {
      for (int i = 0; i < 6; i++) {
        TfRecords.write(t, TfExamples.imageExample(png(20, 12, colours[i % 3]), i % 3));
      }
      TfRecords.write(v, TfExamples.imageExample(png(9, 9, colours[2]), 2));
    }
    try (TfRecordDataset ds = new TfRecordDataset(dir, eval(8, Normalization.ZERO_CENTERED), 3)) {
      assertEquals(6, ds.numTrain());
      assertEquals(1, ds.numEval());
      float[] x = new float[8 * 8 * 3];
      assertEquals(1, ds.train(4, new SplittableRandom(1), x, 0));
      // pure green -> (-1, 1, -1) everywhere, whatever the crop
      for (int p = 0; p < 64; p++) {
        assertArrayEquals(
            new float[] {-1f, 1f, -1f}, new float[] {x[3 * p], x[3 * p + 1], x[3 * p + 2]}, 1e-6f);
      }
      assertEquals(2, ds.eval(0, x, 0));
      assertEquals(1f, x[2], 1e-6f);
    }
  }

  @Test
  void tfRecordDataset_tfdsShards_readsImageAndLabelFeaturesAcrossShards() throws IOException {
    int[] colours = {0xFF0000, 0x00FF00, 0x0000FF};
    for (int shard = 0; shard < 2; shard++) {
      Path f = dir.resolve("imagenet2012-train.tfrecord-0000" + shard + "-of-00002");
      try (OutputStream t = Files.newOutputStream(f)) {
        for (int i = 0; i < 3; i++) {
          TfRecords.write(t, TfExamples.tfdsImageExample(png(10, 8, colours[i]), i));
        }
      }
    }
    try (OutputStream v =
        Files.newOutputStream(dir.resolve("imagenet2012-validation.tfrecord-00000-of-00001"))) {
      TfRecords.write(v, TfExamples.tfdsImageExample(png(9, 9, colours[1]), 1));
    }
    try (TfRecordDataset ds = new TfRecordDataset(dir, eval(4, Normalization.ZERO_CENTERED), 3)) {
      assertEquals(6, ds.numTrain());
      assertEquals(1, ds.numEval());
      float[] x = new float[48];
      assertEquals(2, ds.train(5, new SplittableRandom(2), x, 0));
      assertEquals(1f, x[2], 1e-6f); // blue
      assertEquals(1, ds.eval(0, x, 0));
      assertEquals(1f, x[1], 1e-6f); // green
    }
  }

  @Test
  void imageFolder_corruptJpeg_failsNamingFileOrIsSkippedAndCounted() throws IOException {
    for (String c : new String[] {"a", "b"}) {
      Files.createDirectories(dir.resolve(c));
      for (int i = 0; i < 10; i++) {
        Files.write(dir.resolve(c).resolve(i + ".png"), png(6, 6, c.equals("a") ? 0xFFFFFF : 0));
      }
    }
    // Sorted by name, "0.png" of class a is training example 0; make it a broken JPEG.
    Path bad = dir.resolve("a").resolve("0.png");
    Files.write(bad, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
    try (ImageFolderDataset ds =
        new ImageFolderDataset(dir, eval(4, Normalization.ZERO_CENTERED))) {
      float[] x = new float[48];
      IOException e =
          assertThrows(IOException.class, () -> ds.train(0, new SplittableRandom(1), x, 0));
      assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
      SkippingDataset skipping = new SkippingDataset(ds);
      assertEquals(0, skipping.train(0, new SplittableRandom(1), x, 0)); // 1.png of class a
      assertEquals(1f, x[0], 1e-6f);
      assertEquals(1, skipping.skipped());
    }
  }

  @Test
  void tfRecordDataset_labelOutOfRange_throwsNamingRecord() throws IOException {
    Path f = dir.resolve("data.tfrecord");
    try (OutputStream t = Files.newOutputStream(f)) {
      for (int i = 0; i < 10; i++) {
        TfRecords.write(t, TfExamples.imageExample(png(4, 4, 0), i == 3 ? 7 : 0));
      }
    }
    try (TfRecordDataset ds = new TfRecordDataset(f, eval(4, Normalization.NONE), 2)) {
      assertEquals(9, ds.numTrain()); // every 10th record held out
      float[] x = new float[48];
      TfRecordFormatException e =
          assertThrows(TfRecordFormatException.class, () -> ds.train(3, null, x, 0));
      assertTrue(e.getMessage().contains("label 7"), e.getMessage());
    }
  }

  @Test
  void tfExamples_recordWithoutImage_throwsListingFeatures() {
    byte[] notAnImageExample =
        org.tensorflow.proto.Example.newBuilder()
            .setFeatures(org.tensorflow.proto.Features.newBuilder().build())
            .build()
            .toByteArray();
    TfRecordFormatException e =
        assertThrows(
            TfRecordFormatException.class, () -> TfExamples.parse(notAnImageExample, dir, 0));
    assertTrue(e.getMessage().contains(TfExamples.IMAGE_ENCODED), e.getMessage());
  }

  @Test
  void imageFolderDataset_classFolders_labelsBySortedNameAndHoldsOutEveryTenth()
      throws IOException {
    for (String c : new String[] {"zebra", "apple"}) {
      Files.createDirectories(dir.resolve(c));
      for (int i = 0; i < 10; i++) {
        Files.write(
            dir.resolve(c).resolve(String.format("%02d.png", i)),
            png(6, 6, c.equals("apple") ? 0xFFFFFF : 0));
      }
    }
    Files.writeString(dir.resolve("apple").resolve("notes.txt"), "not an image");
    try (ImageFolderDataset ds =
        new ImageFolderDataset(dir, eval(4, Normalization.ZERO_CENTERED))) {
      assertEquals(java.util.List.of("apple", "zebra"), ds.classes());
      assertEquals(18, ds.numTrain());
      assertEquals(2, ds.numEval());
      float[] x = new float[48];
      assertEquals(0, ds.eval(0, x, 0));
      assertEquals(1f, x[0], 1e-6f); // white apple
      assertEquals(1, ds.eval(1, x, 0));
      assertEquals(-1f, x[0], 1e-6f); // black zebra
    }
  }

  @Test
  void imageFolderDataset_trainAndValFolders_usesThemAsSplits() throws IOException {
    for (String split : new String[] {"train", "val"}) {
      for (String c : new String[] {"b", "a"}) {
        Path d = Files.createDirectories(dir.resolve(split).resolve(c));
        int n = split.equals("train") ? 3 : 1;
        for (int i = 0; i < n; i++) {
          Files.write(d.resolve(i + ".png"), png(5, 7, c.equals("a") ? 0xFFFFFF : 0));
        }
      }
    }
    try (ImageFolderDataset ds =
        new ImageFolderDataset(dir, eval(4, Normalization.ZERO_CENTERED))) {
      assertEquals(java.util.List.of("a", "b"), ds.classes());
      assertEquals(6, ds.numTrain());
      assertEquals(2, ds.numEval());
      float[] x = new float[48];
      assertEquals(1, ds.eval(1, x, 0));
      assertEquals(-1f, x[47], 1e-6f);
    }
  }

  @Test
  void imageFolderDataset_mismatchedClassFolders_throwsNamingBoth() throws IOException {
    Files.createDirectories(dir.resolve("train").resolve("cat"));
    Files.createDirectories(dir.resolve("val").resolve("dog"));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> new ImageFolderDataset(dir, eval(4, Normalization.ZERO_CENTERED)));
    assertTrue(
        e.getMessage().contains("[cat]") && e.getMessage().contains("[dog]"), e.getMessage());
    assertTrue(e.getMessage().contains("same classes"), e.getMessage());
  }

  @Test
  void shapesDataset_sameIndex_sameExampleAndBalancedLabels() {
    ShapesDataset ds = new ShapesDataset(16, 16, 3, 10, 100, 20, Normalization.ZERO_CENTERED);
    float[] a = new float[ds.exampleSize()];
    float[] b = new float[ds.exampleSize()];
    assertEquals(ds.train(37, null, a, 0), ds.train(37, null, b, 0));
    assertArrayEquals(a, b);
    float[] e = new float[ds.exampleSize()];
    ds.eval(37 % 20, e, 0);
    assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(e)); // splits differ
    int[] counts = new int[10];
    for (int i = 0; i < 100; i++) {
      counts[ds.train(i, null, a, 0)]++;
      for (float v : a) {
        assertTrue(v >= -1f && v <= 1f);
      }
    }
    for (int c : counts) {
      assertEquals(10, c);
    }
  }

  @Test
  void shapesDataset_shapeMasks_differBetweenClasses() {
    // On a 40x40 grid around the centre, every pair of classes covers different pixels.
    Set<String> masks = new HashSet<>();
    for (int label = 0; label < 10; label++) {
      StringBuilder m = new StringBuilder();
      for (int y = -20; y < 20; y++) {
        for (int x = -20; x < 20; x++) {
          m.append(ShapesDataset.inside(label, x + 0.5, y + 0.5, 15) ? '#' : '.');
        }
      }
      masks.add(m.toString());
    }
    assertEquals(10, masks.size());
  }

  @Test
  void trainOrder_eachEpoch_visitsEveryExampleOnceAndIsPureInStep() {
    TrainOrder order = new TrainOrder(11, 4, 10);
    Set<Long> firstEpoch = new HashSet<>();
    // steps 0..1 cover positions 0..7, step 2 covers 8..11 (wraps into epoch 1)
    for (int s = 0; s < 2; s++) {
      for (long i : order.indices(s)) {
        firstEpoch.add(i);
      }
    }
    long[] step2 = order.indices(2);
    firstEpoch.add(step2[0]);
    firstEpoch.add(step2[1]);
    assertEquals(10, firstEpoch.size());
    // a fresh order (as after a resume) gives the same batch for the same step
    assertArrayEquals(order.indices(7), new TrainOrder(11, 4, 10).indices(7));
    assertNotEquals(
        java.util.Arrays.toString(order.indices(0)), java.util.Arrays.toString(order.indices(3)));
  }

  @Test
  void batchProducer_steps_comeInOrderAndEqualDirectBuilds() throws IOException {
    ShapesDataset ds = new ShapesDataset(8, 8, 3, 2, 20, 4, Normalization.ZERO_CENTERED);
    TrainOrder order = new TrainOrder(5, 3, 20);
    try (BatchProducer p = new BatchProducer(ds, order, 3, 4, 9, 2)) {
      for (long s = 4; s < 9; s++) {
        Batch b = p.next();
        assertEquals(s, b.step());
        Batch direct = BatchProducer.build(ds, new TrainOrder(5, 3, 20), 3, s);
        assertArrayEquals(direct.images(), b.images());
        assertArrayEquals(direct.labels(), b.labels());
      }
      assertThrows(IllegalStateException.class, p::next);
    }
  }

  @Test
  void batchProducer_threeThreadsOnJpegFolder_equalDirectBuildsInStepOrder() throws IOException {
    SplittableRandom r = new SplittableRandom(9);
    for (String c : new String[] {"a", "b"}) {
      Path d = Files.createDirectories(dir.resolve(c));
      for (int i = 0; i < 10; i++) {
        BufferedImage img = new BufferedImage(30 + i, 20 + 2 * i, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
          for (int x = 0; x < img.getWidth(); x++) {
            img.setRGB(x, y, r.nextInt(1 << 24));
          }
        }
        ImageIO.write(img, "jpg", d.resolve(i + ".jpg").toFile());
      }
    }
    try (ImageFolderDataset ds =
        new ImageFolderDataset(dir, eval(8, Normalization.ZERO_CENTERED))) {
      TrainOrder order = new TrainOrder(11, 4, ds.numTrain());
      try (BatchProducer p = new BatchProducer(ds, order, 4, 2, 12, 4, 3)) {
        for (long s = 2; s < 12; s++) {
          Batch b = p.next();
          assertEquals(s, b.step());
          Batch direct = BatchProducer.build(ds, new TrainOrder(11, 4, ds.numTrain()), 4, s);
          assertTrue(b.isPixels());
          assertArrayEquals(direct.pixels(), b.pixels());
          assertArrayEquals(direct.labels(), b.labels());
        }
      }
    }
  }

  @Test
  void batchProducer_pixelBatchOfImageFolder_isFloatBatchRoundedBeforeNormalisation()
      throws IOException {
    SplittableRandom r = new SplittableRandom(4);
    for (String c : new String[] {"a", "b"}) {
      Path d = Files.createDirectories(dir.resolve(c));
      for (int i = 0; i < 10; i++) {
        BufferedImage img = new BufferedImage(21 + i, 17 + i, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
          for (int x = 0; x < img.getWidth(); x++) {
            img.setRGB(x, y, r.nextInt(1 << 24));
          }
        }
        ImageIO.write(img, "png", d.resolve(i + ".png").toFile());
      }
    }
    Normalization n = Normalization.IMAGENET;
    try (ImageFolderDataset ds = new ImageFolderDataset(dir, eval(8, n))) {
      TrainOrder order = new TrainOrder(2, 4, ds.numTrain());
      Batch px = BatchProducer.build(ds, order, 4, 3, true);
      Batch fl = BatchProducer.build(ds, order, 4, 3, false);

      assertTrue(px.isPixels());
      assertFalse(fl.isPixels());
      assertArrayEquals(fl.labels(), px.labels());
      double worst = 0;
      for (int i = 0; i < fl.images().length; i++) {
        int c = i % 3;
        double unnormalised = fl.images()[i] * n.std(c) + n.mean(c);
        worst = Math.max(worst, Math.abs(unnormalised - (px.pixels()[i] & 0xff)));
      }
      // Rounding to whole pixel values, plus float32 rounding of the normalisation.
      assertTrue(worst <= 0.5 + 1e-3, "max difference " + worst);
      assertTrue(worst > 0.05, "the float path is not already whole: " + worst);
    }
  }

  @Test
  void batchProducer_pixelsOfDatasetWithoutThem_throws() {
    ShapesDataset ds = new ShapesDataset(8, 8, 3, 2, 20, 4, Normalization.ZERO_CENTERED);
    TrainOrder order = new TrainOrder(5, 3, 20);

    assertFalse(ds.hasPixels());
    assertThrows(
        IllegalArgumentException.class, () -> new BatchProducer(ds, order, 3, 0, 2, 2, 1, true));
  }

  @Test
  void batchProducer_failingExample_rethrowsOnNext() {
    ShapesDataset shapes = new ShapesDataset(8, 8, 3, 2, 20, 4, Normalization.ZERO_CENTERED);
    ImageDataset failing =
        new ImageDataset() {
          @Override
          public String describe() {
            return "failing";
          }

          @Override
          public int numClasses() {
            return 2;
          }

          @Override
          public int[] exampleShape() {
            return shapes.exampleShape();
          }

          @Override
          public long numTrain() {
            return 20;
          }

          @Override
          public long numEval() {
            return 4;
          }

          @Override
          public int train(long index, SplittableRandom random, float[] dst, int offset)
              throws IOException {
            throw new IOException("disk gone");
          }

          @Override
          public int eval(long index, float[] dst, int offset) {
            return shapes.eval(index, dst, offset);
          }
        };
    try (BatchProducer p = new BatchProducer(failing, new TrainOrder(1, 2, 20), 2, 0, 5, 2)) {
      IOException e = assertThrows(IOException.class, p::next);
      assertTrue(e.getMessage().contains("disk gone"), e.getMessage());
    }
  }
}
