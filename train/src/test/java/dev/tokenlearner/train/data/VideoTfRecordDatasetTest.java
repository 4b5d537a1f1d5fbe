package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoTfRecordDatasetTest {

  @TempDir Path dir;

  /** A clip whose frame t is solid grey 20 * t (so a sampled frame is read off its pixels). */
  private static List<byte[]> greyClip(int frames) throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (int t = 0; t < frames; t++) {
      BufferedImage img = new BufferedImage(12, 10, BufferedImage.TYPE_INT_RGB);
      int g = 20 * t;
      for (int y = 0; y < 10; y++) {
        for (int x = 0; x < 12; x++) {
          img.setRGB(x, y, (g << 16) | (g << 8) | g);
        }
      }
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      ImageIO.write(img, "png", b);
      out.add(b.toByteArray());
    }
    return out;
  }

  private VideoTfRecordDataset open(VideoSampling sampling, int numClasses) throws IOException {
    return new VideoTfRecordDataset(
        dir,
        sampling,
        new EvalPreprocessing(sampling.cropSize(), sampling.cropSize(), 3, 1.0, Normalization.NONE),
        numClasses);
  }

  /** The frame index each of the clip's frames came from. */
  private static int[] sampledFrames(float[] x, int frames, int per) {
    int[] out = new int[frames];
    for (int t = 0; t < frames; t++) {
      out[t] = Math.round(x[t * per] / 20f);
    }
    return out;
  }

  private void write(String file, List<List<byte[]>> clips, int[] labels) throws IOException {
    try (OutputStream o = Files.newOutputStream(dir.resolve(file))) {
      for (int i = 0; i < clips.size(); i++) {
        TfRecords.write(o, VideoTfRecordDataset.sequenceExample(clips.get(i), labels[i]));
      }
    }
  }

  @Test
  void sampling_trainEvalAndViews_takeStridedFramesFromTheRightStarts() throws IOException {
    write("train.tfrecord", List.of(greyClip(12)), new int[] {1});
    write("validation.tfrecord", List.of(greyClip(12)), new int[] {0});
    // 3 frames, stride 2 (span 5), 8 px crops of frames resized to 8 px high.
    VideoSampling sampling = new VideoSampling(3, 2, 8, 8, 2, true);
    int per = 8 * 8 * 3;
    try (VideoTfRecordDataset ds = open(sampling, 2)) {
      float[] x = new float[3 * per];
      for (long seed = 0; seed < 5; seed++) {
        assertEquals(1, ds.train(0, new SplittableRandom(seed), x, 0));
        int[] f = sampledFrames(x, 3, per);
        assertTrue(f[0] >= 0 && f[0] <= 7, "start " + f[0]);
        assertArrayEquals(new int[] {f[0], f[0] + 2, f[0] + 4}, f);
      }
      assertEquals(0, ds.eval(0, x, 0));
      assertArrayEquals(new int[] {3, 5, 7}, sampledFrames(x, 3, per)); // centred: (12 - 5) / 2
      assertEquals(6, ds.numViews());
      ds.evalView(0, 0, x, 0);
      assertArrayEquals(new int[] {0, 2, 4}, sampledFrames(x, 3, per));
      ds.evalView(0, 5, x, 0);
      assertArrayEquals(new int[] {7, 9, 11}, sampledFrames(x, 3, per));
    }
  }

  @Test
  void videoFolder_framesInClipFolders_sampledLikeRecordsAndLabelledByClass() throws IOException {
    for (String c : new String[] {"walk", "jump"}) {
      for (int clip = 0; clip < 10; clip++) {
        Path d = Files.createDirectories(dir.resolve(c).resolve("clip" + clip));
        List<byte[]> frames = greyClip(12);
        for (int t = 0; t < frames.size(); t++) {
          Files.write(d.resolve(String.format("%03d.png", t)), frames.get(t));
        }
      }
    }
    assertTrue(VideoFolderDataset.isVideoFolder(dir));
    int per = 8 * 8 * 3;
    try (VideoFolderDataset ds =
        new VideoFolderDataset(
            dir,
            new VideoSampling(3, 2, 8, 8, 1, false),
            new EvalPreprocessing(8, 8, 3, 1.0, Normalization.NONE))) {
      assertEquals(18, ds.numTrain());
      assertEquals(2, ds.numEval());
      float[] x = new float[3 * per];
      assertEquals(0, ds.eval(0, x, 0)); // "jump" sorts first
      assertArrayEquals(new int[] {3, 5, 7}, sampledFrames(x, 3, per));
      assertEquals(1, ds.train(17, new SplittableRandom(4), x, 0));
      int[] f = sampledFrames(x, 3, per);
      assertArrayEquals(new int[] {f[0], f[0] + 2, f[0] + 4}, f);
    }
  }

  @Test
  void read_clipShorterThanNumFrames_throwsNamingFileAndRecord() throws IOException {
    write("train.tfrecord", List.of(greyClip(4), greyClip(2)), new int[] {0, 1});
    write("test.tfrecord", List.of(greyClip(4)), new int[] {0});
    try (VideoTfRecordDataset ds = open(new VideoSampling(3, 1, 8, 8, 1, false), 2)) {
      float[] x = new float[3 * 8 * 8 * 3];
      ds.train(0, new SplittableRandom(1), x, 0);
      TfRecordFormatException e =
          assertThrows(
              TfRecordFormatException.class, () -> ds.train(1, new SplittableRandom(1), x, 0));
      assertTrue(e.getMessage().contains("train.tfrecord"), e.getMessage());
      assertTrue(e.getMessage().contains("2 frames, fewer than num_frames=3"), e.getMessage());
    }
  }

  @Test
  void read_labelOutOfRange_throwsNamingLabel() throws IOException {
    write("train.tfrecord", List.of(greyClip(4)), new int[] {5});
    write("test.tfrecord", List.of(greyClip(4)), new int[] {0});
    try (VideoTfRecordDataset ds = open(new VideoSampling(2, 1, 8, 8, 1, false), 2)) {
      TfRecordFormatException e =
          assertThrows(
              TfRecordFormatException.class,
              () -> ds.train(0, new SplittableRandom(1), new float[2 * 192], 0));
      assertTrue(e.getMessage().contains("label 5"), e.getMessage());
    }
  }
}
