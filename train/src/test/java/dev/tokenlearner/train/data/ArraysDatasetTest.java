package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.core.HostArray;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArraysDatasetTest {

  private static final InputSpec IMAGE_4X4 = new InputSpec(4, 4, 3, 0, 5);

  @TempDir Path dir;

  private static float[] ramp(int n, float offset) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = offset + i * 0.25f;
    }
    return v;
  }

  private Path npz(String name, long[] shape, float[] images, int[] labels) throws Exception {
    Path p = dir.resolve(name);
    NpzFiles.write(p, Map.of("images", new HostArray(shape, images)), Map.of("labels", labels));
    return p;
  }

  @Test
  void open_images_fedExactlyAsStored() throws Exception {
    float[] x = ramp(3 * 48, -1f);
    Path p = npz("a.npz", new long[] {3, 4, 4, 3}, x, new int[] {4, 0, 2});
    ArraysDataset ds = ArraysDataset.open(p, Optional.empty(), IMAGE_4X4);
    assertEquals(3, ds.numTrain());
    assertEquals(3, ds.numEval());
    assertArrayEquals(new int[] {4, 4, 3}, ds.exampleShape());
    float[] dst = new float[48];
    assertEquals(2, ds.train(2, new SplittableRandom(1), dst, 0));
    assertArrayEquals(Arrays.copyOfRange(x, 96, 144), dst);
    assertEquals(4, ds.eval(0, dst, 0));
    assertArrayEquals(Arrays.copyOfRange(x, 0, 48), dst);
  }

  @Test
  void open_evalFile_heldOutFromThatFile() throws Exception {
    Path train = npz("t.npz", new long[] {2, 4, 4, 3}, ramp(96, 0f), new int[] {1, 1});
    float[] e = ramp(48, 7f);
    Path eval = npz("e.npz", new long[] {1, 4, 4, 3}, e, new int[] {3});
    ArraysDataset ds = ArraysDataset.open(train, Optional.of(eval), IMAGE_4X4);
    assertEquals(1, ds.numEval());
    float[] dst = new float[48];
    assertEquals(3, ds.eval(0, dst, 0));
    assertArrayEquals(e, dst);
  }

  @Test
  void open_videoClips_exampleShapeHasFrames() throws Exception {
    InputSpec video = new InputSpec(4, 4, 3, 2, 5);
    Path p = npz("v.npz", new long[] {2, 2, 4, 4, 3}, ramp(192, 0f), new int[] {0, 1});
    ArraysDataset ds = ArraysDataset.open(p, Optional.empty(), video);
    assertArrayEquals(new int[] {2, 4, 4, 3}, ds.exampleShape());
    assertEquals(96, ds.exampleSize());
    Batch b = BatchProducer.build(ds, new TrainOrder(0, 2, 2), 2, 0);
    assertArrayEquals(new long[] {2, 2, 4, 4, 3}, b.shape());
  }

  @Test
  void open_wrongImageSize_errorNamesFileArrayAndShapes() throws Exception {
    Path p = npz("s.npz", new long[] {1, 8, 8, 3}, ramp(192, 0f), new int[] {0});
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ArraysDataset.open(p, Optional.empty(), IMAGE_4X4));
    assertTrue(e.getMessage().contains("s.npz"), e.getMessage());
    assertTrue(e.getMessage().contains("[1, 8, 8, 3]"), e.getMessage());
    assertTrue(e.getMessage().contains("[N, 4, 4, 3]"), e.getMessage());
  }

  @Test
  void open_labelOutOfRange_errorNamesIndex() throws Exception {
    Path p = npz("l.npz", new long[] {2, 4, 4, 3}, ramp(96, 0f), new int[] {0, 5});
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ArraysDataset.open(p, Optional.empty(), IMAGE_4X4));
    assertTrue(e.getMessage().contains("'labels'[1]"), e.getMessage());
  }

  @Test
  void open_floatLabels_rejectedAsNotIntegers() throws Exception {
    Path p = dir.resolve("f.npz");
    NpzFiles.write(
        p,
        Map.of(
            "images", new HostArray(new long[] {1, 4, 4, 3}, ramp(48, 0f)),
            "labels", new HostArray(new long[] {1}, new float[] {1f})),
        Map.of());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ArraysDataset.open(p, Optional.empty(), IMAGE_4X4));
    assertTrue(e.getMessage().contains("must be integers"), e.getMessage());
  }

  @Test
  void accepts_npzSuffixOnly() {
    assertTrue(ArraysDataset.accepts(Path.of("x/set.npz")));
    assertEquals(false, ArraysDataset.accepts(Path.of("x/train.tfrecord")));
  }
}
