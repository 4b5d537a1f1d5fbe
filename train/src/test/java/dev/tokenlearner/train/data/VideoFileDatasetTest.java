package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoFileDatasetTest {

  /** mpeg4 at quantiser 2 keeps a solid colour within a few levels (chroma is subsampled). */
  private static final int TOLERANCE = 6;

  @TempDir Path dir;

  /** Frame t of a clip: solid (20 t, 200 - 15 t, 60 + 10 t), so a frame is read off its colour. */
  private static int[] colour(int t) {
    return new int[] {20 * t, 200 - 15 * t, 60 + 10 * t};
  }

  private static List<byte[]> clip(int frames, int w, int h) {
    List<byte[]> out = new ArrayList<>();
    for (int t = 0; t < frames; t++) {
      int[] c = colour(t);
      out.add(VideoFiles.solid(w, h, c[0], c[1], c[2]));
    }
    return out;
  }

  private static void assertColour(int[] expected, byte[] rgb, String what) {
    for (int i = 0; i < rgb.length; i++) {
      int got = rgb[i] & 0xff;
      int want = expected[i % 3];
      if (Math.abs(got - want) > TOLERANCE) {
        throw new AssertionError(
            what
                + ": byte "
                + i
                + " is "
                + got
                + ", encoded "
                + want
                + " (tolerance "
                + TOLERANCE
                + ")");
      }
    }
  }

  @Test
  void decode_containersAndCodecs_framesMatchEncodedColours() throws IOException {
    // Container by file name, codec by encoder: MPEG-4 part 2, H.264 (OpenH264), VP9 (libvpx).
    String[][] cases = {
      {"mp4", "mpeg4"},
      {"mkv", "mpeg4"},
      {"avi", "mpeg4"},
      {"mov", "mpeg4"},
      {"mp4", "libopenh264"},
      {"webm", "libvpx-vp9"},
    };
    for (String[] c : cases) {
      Path f = dir.resolve(c[1] + "." + c[0]);
      String what = c[0] + "/" + c[1];
      VideoFiles.write(f, c[1], 32, 24, clip(10, 32, 24));
      assertEquals(10, VideoFileDecoder.frameCount(f), what);
      int[] idx = {0, 3, 4, 9};
      List<VideoFrames.RgbFrame> got = VideoFileDecoder.decode(f, idx);
      assertEquals(idx.length, got.size());
      for (int k = 0; k < idx.length; k++) {
        assertEquals(24, got.get(k).height());
        assertEquals(32, got.get(k).width());
        assertColour(colour(idx[k]), got.get(k).rgb(), what + " frame " + idx[k]);
      }
    }
  }

  @Test
  void dataset_greyModel_takesLumaOfTheRgbFrames() throws IOException {
    writeDataset(dir, 10, 6);
    VideoSampling s = new VideoSampling(2, 1, 8, 8, 1, false);
    try (VideoFileDataset ds =
        new VideoFileDataset(dir, s, new EvalPreprocessing(8, 8, 1, 1.0, Normalization.NONE))) {
      assertArrayEquals(new int[] {2, 8, 8, 1}, ds.exampleShape());
      float[] x = new float[2 * 64];
      ds.eval(0, x, 0); // centred: frames 2 and 3
      for (int t = 0; t < 2; t++) {
        int[] c = colour(2 + t);
        double luma = 0.2989 * c[0] + 0.5870 * c[1] + 0.1140 * c[2];
        assertEquals(luma, x[t * 64], TOLERANCE, "frame " + (2 + t));
        assertEquals(x[t * 64], x[t * 64 + 63], 1e-6, "solid frame stays solid");
      }
    }
  }

  /** {@code <root>/<class>/<name>.mp4}: class "jump" then "walk", each video 12 frames. */
  private void writeDataset(Path root, int perClass, int frames) throws IOException {
    for (String c : new String[] {"walk", "jump"}) {
      Path d = Files.createDirectories(root.resolve(c));
      for (int v = 0; v < perClass; v++) {
        VideoFiles.write(d.resolve("v" + v + ".mp4"), "mpeg4", 32, 24, clip(frames, 32, 24));
      }
    }
  }

  private static VideoFileDataset open(Path root, VideoSampling s) throws IOException {
    return new VideoFileDataset(
        root, s, new EvalPreprocessing(s.cropSize(), s.cropSize(), 3, 1.0, Normalization.NONE));
  }

  /** The frame index each clip frame came from, read off its red channel. */
  private static int[] sampledFrames(float[] x, int frames, int per) {
    int[] out = new int[frames];
    for (int t = 0; t < frames; t++) {
      out[t] = Math.round(x[t * per] / 20f);
    }
    return out;
  }

  @Test
  void dataset_classFoldersOfMp4s_sampleStridedFramesLabelledByClass() throws IOException {
    writeDataset(dir, 10, 12);
    assertTrue(VideoFileDataset.isVideoFileFolder(dir));
    assertTrue(!VideoFolderDataset.isVideoFolder(dir));
    // 3 frames every 2 (span 5) of 12; 8 px crops of frames resized to 9 px high.
    VideoSampling s = new VideoSampling(3, 2, 9, 8, 2, true);
    int per = 8 * 8 * 3;
    try (VideoFileDataset ds = open(dir, s)) {
      assertEquals(18, ds.numTrain());
      assertEquals(2, ds.numEval());
      assertEquals(2, ds.numClasses());
      float[] x = new float[3 * per];
      for (long seed = 0; seed < 4; seed++) {
        assertEquals(1, ds.train(17, new SplittableRandom(seed), x, 0)); // "walk" sorts second
        int[] f = sampledFrames(x, 3, per);
        assertTrue(f[0] >= 0 && f[0] <= 7, "start " + f[0]);
        assertArrayEquals(new int[] {f[0], f[0] + 2, f[0] + 4}, f);
        // Green and blue channels follow the same frame: the whole clip is RGB in order.
        for (int t = 0; t < 3; t++) {
          int[] c = colour(f[t]);
          for (int ch = 0; ch < 3; ch++) {
            float v = x[t * per + ch];
            assertTrue(Math.abs(v - c[ch]) <= TOLERANCE, "frame " + f[t] + " ch " + ch + ": " + v);
          }
        }
      }
      assertEquals(0, ds.eval(0, x, 0)); // "jump" sorts first
      assertArrayEquals(new int[] {3, 5, 7}, sampledFrames(x, 3, per)); // centred: (12 - 5) / 2
      assertEquals(6, ds.numViews());
      ds.evalView(0, 0, x, 0);
      assertArrayEquals(new int[] {0, 2, 4}, sampledFrames(x, 3, per));
      ds.evalView(0, 5, x, 0);
      assertArrayEquals(new int[] {7, 9, 11}, sampledFrames(x, 3, per));
    }
  }

  @Test
  void evalClip_oneFile_equalsTheDatasetsEvaluationClip() throws IOException {
    writeDataset(dir, 10, 12);
    VideoSampling s = new VideoSampling(3, 2, 9, 8, 2, true);
    float[] x = new float[3 * 8 * 8 * 3];
    try (VideoFileDataset ds = open(dir, s)) {
      ds.eval(0, x, 0); // the held-out "jump" video, v9.mp4 (every 10th is held out)
    }

    var clip =
        VideoFileDataset.evalClip(
            dir.resolve("jump/v9.mp4"), s, new EvalPreprocessing(8, 8, 3, 1.0, Normalization.NONE));

    assertArrayEquals(new long[] {1, 3, 8, 8, 3}, clip.shape());
    assertArrayEquals(new int[] {3, 5, 7}, sampledFrames(clip.data(), 3, 8 * 8 * 3));
    assertArrayEquals(x, clip.data());
  }

  @Test
  void dataset_trainAndValFolders_splitByFolder() throws IOException {
    writeDataset(dir.resolve("train"), 2, 6);
    writeDataset(dir.resolve("val"), 1, 6);
    try (VideoFileDataset ds = open(dir, new VideoSampling(2, 1, 8, 8, 1, false))) {
      assertEquals(4, ds.numTrain());
      assertEquals(2, ds.numEval());
      assertTrue(ds.describe().contains("4 train / 2 held-out videos"), ds.describe());
    }
  }

  /** A valid WAV file: FFmpeg opens it, but it has no video stream. */
  private static byte[] wav() {
    int samples = 800;
    ByteBuffer b = ByteBuffer.allocate(44 + 2 * samples).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII))
        .putInt(36 + 2 * samples)
        .put("WAVE".getBytes(StandardCharsets.US_ASCII));
    b.put("fmt ".getBytes(StandardCharsets.US_ASCII))
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) 1);
    b.putInt(8000).putInt(16000).putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(2 * samples);
    for (int i = 0; i < samples; i++) {
      b.putShort((short) (1000 * Math.sin(i / 5.0)));
    }
    return b.array();
  }

  @Test
  void errors_notVideoNoStreamTooShort_typedAndNamingTheFile() throws IOException {
    Path garbage = dir.resolve("garbage.mp4");
    Files.writeString(garbage, "this is not a video at all, just some text\n".repeat(20));
    VideoFileException e =
        assertThrows(VideoFileException.class, () -> VideoFileDecoder.frameCount(garbage));
    assertEquals(VideoFileException.Reason.NOT_A_VIDEO, e.reason());
    assertTrue(e.getMessage().startsWith(garbage.toString()), e.getMessage());

    Path audio = dir.resolve("audio.mkv");
    Files.write(audio, wav());
    e = assertThrows(VideoFileException.class, () -> VideoFileDecoder.frameCount(audio));
    assertEquals(VideoFileException.Reason.NO_VIDEO_STREAM, e.reason());
    assertTrue(e.getMessage().contains("audio.mkv") && e.getMessage().contains("no video stream"));

    // A class folder whose second training video is too short for 3 frames at stride 2.
    Path root = dir.resolve("ds");
    Path a = Files.createDirectories(root.resolve("a"));
    VideoFiles.write(a.resolve("0.mp4"), "mpeg4", 16, 16, clip(6, 16, 16));
    VideoFiles.write(a.resolve("1.mp4"), "mpeg4", 16, 16, clip(4, 16, 16));
    for (int v = 2; v < 10; v++) {
      VideoFiles.write(a.resolve(v + ".mp4"), "mpeg4", 16, 16, clip(6, 16, 16));
    }
    Files.copy(garbage, a.resolve("2.mp4"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    VideoSampling s = new VideoSampling(3, 2, 8, 8, 1, false);
    float[] x = new float[3 * 8 * 8 * 3];
    try (VideoFileDataset ds = open(root, s)) {
      ds.train(0, new SplittableRandom(1), x, 0);
      e = assertThrows(VideoFileException.class, () -> ds.train(1, new SplittableRandom(1), x, 0));
      assertEquals(VideoFileException.Reason.TOO_SHORT, e.reason());
      assertTrue(e.getMessage().contains("1.mp4"), e.getMessage());
      assertTrue(e.getMessage().contains("4 frames, fewer than a clip spans"), e.getMessage());
      e = assertThrows(VideoFileException.class, () -> ds.train(2, new SplittableRandom(1), x, 0));
      assertEquals(VideoFileException.Reason.NOT_A_VIDEO, e.reason());
    }
    // skip_bad_examples: the short and the garbage video are replaced by the next good one.
    try (SkippingDataset ds = new SkippingDataset(open(root, s))) {
      assertEquals(0, ds.train(1, new SplittableRandom(1), x, 0));
      assertEquals(2, ds.skipped());
    }
  }
}
