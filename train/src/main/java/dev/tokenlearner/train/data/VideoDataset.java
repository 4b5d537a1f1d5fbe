package dev.tokenlearner.train.data;

import java.io.IOException;

/**
 * A video dataset with Scenic's multi-view evaluation: every held-out video is seen as {@code
 * num_test_clips} clips evenly spaced in time, each with one or (with {@code
 * do_three_spatial_crops}) three spatial crops; {@link VideoSampling#viewStart} and {@link
 * VideoSampling#viewPosition} say which.
 */
public interface VideoDataset extends ImageDataset {

  /**
   * Views per held-out video.
   *
   * @return {@code num_test_clips * (3 or 1)}
   */
  int numViews();

  /**
   * Writes one view of a held-out video.
   *
   * @param index the held-out video, in {@code [0, numEval)}
   * @param view in {@code [0, numViews())}
   * @param dst destination, {@code [T, crop, crop, C]} float32
   * @param offset first float of the clip in {@code dst}
   * @return the label
   * @throws IOException if the video cannot be read
   */
  int evalView(long index, int view, float[] dst, int offset) throws IOException;
}
