package dev.tokenlearner.weights;

import dev.tokenlearner.core.HostArray;
import java.util.Arrays;

/**
 * Adapts a checkpoint's position embedding to another token grid, as Scenic's {@code init_posemb}
 * does when a model is initialised from a checkpoint trained at another resolution or with a class
 * token.
 *
 * <ul>
 *   <li>A class-token row is dropped when the source has one token more than a square grid (or than
 *       the target grid): TokenLearnerViT pools instead of using a class token.
 *   <li>The remaining {@code gs_old x gs_old x D} grid is resized to the target's {@code gh x gw}
 *       with {@code scipy.ndimage.zoom(grid, (gh/gs_old, gw/gs_old, 1), order=1)} semantics: linear
 *       interpolation where output index {@code o} reads input coordinate {@code o * (in-1) /
 *       (out-1)} ({@code grid_mode=False}), so the corner rows and columns are kept exactly.
 * </ul>
 *
 * <p>Shapes: source {@code [1, N_src, D]}, result {@code [1, gh*gw, D]}.
 */
public final class PositionEmbeddings {

  /** Flax path of the position embedding in TokenLearnerViT. */
  public static final String PATH = "Transformer/posembed_input/pos_embedding";

  private PositionEmbeddings() {}

  /**
   * Adapts {@code source} to a {@code gridH x gridW} token grid.
   *
   * @param source {@code [1, N_src, D]}
   * @param gridH target patch rows
   * @param gridW target patch columns
   * @return {@code source} itself when it already has {@code gridH*gridW} tokens, else a new {@code
   *     [1, gridH*gridW, D]} array
   * @throws IllegalArgumentException if the source is not {@code [1, N, D]} or what remains after
   *     dropping a class token is not a square grid
   */
  public static HostArray adapt(HostArray source, int gridH, int gridW) {
    long[] s = source.shape();
    if (s.length != 3 || s[0] != 1) {
      throw new IllegalArgumentException(
          "position embedding must be [1, N, D], found " + source.shapeString());
    }
    if (gridH <= 0 || gridW <= 0) {
      throw new IllegalArgumentException(
          "target grid must be positive, got " + gridH + "x" + gridW);
    }
    int n = Math.toIntExact(s[1]);
    int d = Math.toIntExact(s[2]);
    int target = gridH * gridW;
    if (n == target) {
      return source;
    }
    float[] data = source.data();
    if (!isSquare(n) && n > 1 && (isSquare(n - 1) || n - 1 == target)) {
      // Row 0 is the class token's position.
      data = Arrays.copyOfRange(data, d, data.length);
      n -= 1;
      if (n == target) {
        return new HostArray(new long[] {1, n, d}, data);
      }
    }
    if (!isSquare(n)) {
      throw new IllegalArgumentException(
          "cannot resize a position embedding of "
              + n
              + " tokens (not a square grid) to "
              + gridH
              + "x"
              + gridW);
    }
    int gs = (int) Math.round(Math.sqrt(n));
    HostArray grid = new HostArray(new long[] {gs, gs, d}, data);
    HostArray zoomed = zoomLinear(grid, gridH, gridW);
    return new HostArray(new long[] {1, target, d}, zoomed.data());
  }

  /**
   * {@code scipy.ndimage.zoom(grid, (outH/h, outW/w, 1), order=1)}: linear interpolation of the
   * first two axes, with output index {@code o} reading input coordinate {@code o * (in-1) /
   * (out-1)} (and 0 when {@code out == 1}). Computed in double precision, rounded to float.
   *
   * @param grid {@code [h, w, D]}
   * @param outH output rows
   * @param outW output columns
   * @return {@code [outH, outW, D]}
   * @throws IllegalArgumentException if {@code grid} is not rank 3 or an output size is not
   *     positive
   */
  public static HostArray zoomLinear(HostArray grid, int outH, int outW) {
    long[] s = grid.shape();
    if (s.length != 3) {
      throw new IllegalArgumentException("grid must be [h, w, D], found " + grid.shapeString());
    }
    if (outH <= 0 || outW <= 0) {
      throw new IllegalArgumentException("output size must be positive, got " + outH + "x" + outW);
    }
    int h = Math.toIntExact(s[0]);
    int w = Math.toIntExact(s[1]);
    int d = Math.toIntExact(s[2]);
    Axis rows = Axis.of(h, outH);
    Axis cols = Axis.of(w, outW);
    float[] in = grid.data();
    float[] out = new float[Math.multiplyExact(Math.multiplyExact(outH, outW), d)];
    for (int i = 0; i < outH; i++) {
      for (int j = 0; j < outW; j++) {
        int o = (i * outW + j) * d;
        int a = (rows.lo[i] * w + cols.lo[j]) * d;
        int b = (rows.lo[i] * w + cols.hi[j]) * d;
        int c = (rows.hi[i] * w + cols.lo[j]) * d;
        int e = (rows.hi[i] * w + cols.hi[j]) * d;
        double wr = rows.t[i];
        double wc = cols.t[j];
        for (int k = 0; k < d; k++) {
          double top = (1 - wc) * in[a + k] + wc * in[b + k];
          double bottom = (1 - wc) * in[c + k] + wc * in[e + k];
          out[o + k] = (float) ((1 - wr) * top + wr * bottom);
        }
      }
    }
    return new HostArray(new long[] {outH, outW, d}, out);
  }

  /** Per output index along one axis: the two input neighbours and the weight of the upper. */
  private record Axis(int[] lo, int[] hi, double[] t) {
    static Axis of(int in, int out) {
      // scipy: zoom = (in - 1) / (out - 1), or 1 when out == 1; coordinate = o * zoom.
      double zoom = out > 1 ? (double) (in - 1) / (out - 1) : 1.0;
      int[] lo = new int[out];
      int[] hi = new int[out];
      double[] t = new double[out];
      for (int o = 0; o < out; o++) {
        double c = Math.min(Math.max(o * zoom, 0.0), in - 1);
        int f = (int) Math.floor(c);
        lo[o] = f;
        hi[o] = Math.min(f + 1, in - 1);
        t[o] = c - f;
      }
      return new Axis(lo, hi, t);
    }
  }

  private static boolean isSquare(int n) {
    int r = (int) Math.round(Math.sqrt(n));
    return r * r == n;
  }
}
