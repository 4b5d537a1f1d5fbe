package dev.tokenlearner.train.data;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.VideoDatasetConfig;
import dev.tokenlearner.core.InvalidInputException;

/**
 * Scenic's (DMVR's) clip sampling keys under {@code dataset_configs}: {@code num_frames} frames
 * taken every {@code stride} frames, frames resized so the shorter side is {@code min_resize}, then
 * a {@code crop_size} square crop (random with a random flip in training, centre in evaluation);
 * multi-view evaluation takes {@code num_test_clips} clips evenly spaced in time and, with {@code
 * do_three_spatial_crops}, three crops along the longer side.
 *
 * @param numFrames frames per clip T
 * @param stride distance between sampled frames
 * @param minResize shorter side after resizing
 * @param cropSize crop side (the model's input height and width)
 * @param numTestClips clips per video in multi-view evaluation
 * @param threeSpatialCrops three crops per clip in multi-view evaluation, else the centre crop
 */
public record VideoSampling(
    int numFrames,
    int stride,
    int minResize,
    int cropSize,
    int numTestClips,
    boolean threeSpatialCrops) {

  /**
   * Validates the fields.
   *
   * @throws InvalidInputException naming the key at fault
   */
  public VideoSampling {
    check(numFrames, "num_frames");
    check(stride, "stride");
    check(cropSize, "crop_size");
    check(numTestClips, "num_test_clips");
    if (minResize < cropSize) {
      throw new InvalidInputException(
          "dataset_configs.min_resize (" + minResize + ") must be >= crop_size (" + cropSize + ")");
    }
  }

  private static void check(int v, String key) {
    if (v <= 0) {
      throw new InvalidInputException("dataset_configs." + key + " must be positive, got " + v);
    }
  }

  /**
   * Reads the keys of an experiment (defaults: stride 1, {@code min_resize} = crop size * 8/7, one
   * test clip, no spatial crops); frames and crop size come from the model's input.
   *
   * @param cfg the experiment
   * @return the sampling
   * @throws InvalidInputException if the input is not video or a key is invalid
   */
  public static VideoSampling of(ExperimentConfig cfg) {
    InputSpec in = cfg.input();
    if (!in.isVideo()) {
      throw new InvalidInputException("video sampling needs num_frames (a video input)");
    }
    if (in.height() != in.width()) {
      throw new InvalidInputException(
          "video crops are square; image_size/crop_size is " + in.height() + "x" + in.width());
    }
    VideoDatasetConfig d = cfg.train().dataset().video();
    int crop = in.height();
    return new VideoSampling(
        in.numFrames(),
        d.stride(),
        d.minResize().orElse((int) Math.round(crop * 8.0 / 7.0)),
        crop,
        d.numTestClips(),
        d.threeSpatialCrops());
  }

  /**
   * Frames one clip spans.
   *
   * @return {@code (num_frames - 1) * stride + 1}
   */
  public int span() {
    return (numFrames - 1) * stride + 1;
  }

  /**
   * Frame indices of a clip starting at {@code start}; indices past the end wrap around, as DMVR's
   * {@code sample_sequence} does.
   *
   * @param start the first frame
   * @param length frames in the video
   * @return {@code num_frames} indices
   */
  public int[] frames(int start, int length) {
    int[] out = new int[numFrames];
    for (int i = 0; i < numFrames; i++) {
      out[i] = (start + i * stride) % length;
    }
    return out;
  }

  /**
   * Start frames of the evaluation clips: {@code num_test_clips} evenly spaced over the video
   * (DMVR's {@code sample_linspace_sequence}); one clip is centred.
   *
   * @param length frames in the video
   * @return one start per clip
   */
  public int[] testStarts(int length) {
    int last = Math.max(length - span(), 0);
    int[] out = new int[numTestClips];
    for (int c = 0; c < numTestClips; c++) {
      out[c] =
          numTestClips == 1 ? last / 2 : (int) Math.round((double) c * last / (numTestClips - 1));
    }
    return out;
  }

  /**
   * Views per video in multi-view evaluation.
   *
   * @return {@code num_test_clips * (3 or 1)}
   */
  public int numViews() {
    return numTestClips * (threeSpatialCrops ? 3 : 1);
  }

  /**
   * First frame of view {@code view}: clip {@code view / crops} of {@link #testStarts}.
   *
   * @param view in {@code [0, numViews())}
   * @param length frames in the video
   * @return the start frame
   */
  public int viewStart(int view, int length) {
    checkView(view);
    return testStarts(length)[view / (threeSpatialCrops ? 3 : 1)];
  }

  /**
   * Relative crop position of view {@code view}: with {@code do_three_spatial_crops}, {@code 0},
   * {@code 0.5}, {@code 1} (left/top, centre, right/bottom) for crops {@code view % 3}, else the
   * centre. Both axes take the same position: the shorter one has no spare pixels, so only the
   * longer side moves.
   *
   * @param view in {@code [0, numViews())}
   * @return the position in {@code [0, 1]}
   */
  public float viewPosition(int view) {
    checkView(view);
    return threeSpatialCrops ? (view % 3) / 2f : 0.5f;
  }

  private void checkView(int view) {
    if (view < 0 || view >= numViews()) {
      throw new InvalidInputException("view " + view + " outside [0, " + numViews() + ")");
    }
  }

  /**
   * The shape of one sampled clip.
   *
   * @param channels colour channels of the model's input
   * @return {@code [num_frames, crop_size, crop_size, channels]}
   */
  public int[] clipShape(int channels) {
    return new int[] {numFrames(), cropSize(), cropSize(), channels};
  }
}
