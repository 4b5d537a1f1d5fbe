package dev.tokenlearner.graph.maps;

import java.awt.image.BufferedImage;

/**
 * One attention map on the patch grid drawn over the image it came from: bilinearly upsampled to
 * the image (half-pixel centres, as TF's resize), scaled so the map's largest weight is the hottest
 * colour, and blended over the image.
 */
public final class HeatOverlay {

  /** How much of the heat colour covers the image at the hottest point. */
  static final float ALPHA = 0.6f;

  // Colour stops of the heat scale, cold to hot: black, purple, red, orange, pale yellow.
  private static final int[][] STOPS = {
    {0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}
  };

  private HeatOverlay() {}

  /**
   * Blends one map over an image.
   *
   * @param image the input as shown, any size
   * @param map the weights, row-major {@code [gridH, gridW]} starting at {@code offset}
   * @param offset index of the map's first weight in {@code map}
   * @param gridH rows of the patch grid
   * @param gridW columns of the patch grid
   * @return a new RGB image the size of {@code image}
   */
  public static BufferedImage draw(
      BufferedImage image, float[] map, int offset, int gridH, int gridW) {
    int w = image.getWidth();
    int h = image.getHeight();
    float max = 0f;
    for (int i = 0; i < gridH * gridW; i++) {
      max = Math.max(max, map[offset + i]);
    }
    // A map of zeros (or an untrained sigmoid that underflowed) shows as cold, not NaN.
    float scale = max > 0 ? 1f / max : 0f;
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      float gy = clamp((y + 0.5f) * gridH / h - 0.5f, gridH - 1);
      int y0 = (int) gy;
      int y1 = Math.min(y0 + 1, gridH - 1);
      float fy = gy - y0;
      for (int x = 0; x < w; x++) {
        float gx = clamp((x + 0.5f) * gridW / w - 0.5f, gridW - 1);
        int x0 = (int) gx;
        int x1 = Math.min(x0 + 1, gridW - 1);
        float fx = gx - x0;
        float top = lerp(map[offset + y0 * gridW + x0], map[offset + y0 * gridW + x1], fx);
        float bottom = lerp(map[offset + y1 * gridW + x0], map[offset + y1 * gridW + x1], fx);
        float v = Math.min(1f, lerp(top, bottom, fy) * scale);
        out.setRGB(x, y, blend(image.getRGB(x, y), color(v), ALPHA * (0.35f + 0.65f * v)));
      }
    }
    return out;
  }

  /**
   * The heat colour of a value.
   *
   * @param v in {@code [0, 1]}
   * @return packed RGB
   */
  public static int color(float v) {
    float p = Math.max(0f, Math.min(1f, v)) * (STOPS.length - 1);
    int i = Math.min((int) p, STOPS.length - 2);
    float f = p - i;
    int r = Math.round(lerp(STOPS[i][0], STOPS[i + 1][0], f));
    int g = Math.round(lerp(STOPS[i][1], STOPS[i + 1][1], f));
    int b = Math.round(lerp(STOPS[i][2], STOPS[i + 1][2], f));
    return (r << 16) | (g << 8) | b;
  }

  private static int blend(int base, int heat, float a) {
    int r = Math.round(((base >> 16) & 0xff) * (1 - a) + ((heat >> 16) & 0xff) * a);
    int g = Math.round(((base >> 8) & 0xff) * (1 - a) + ((heat >> 8) & 0xff) * a);
    int b = Math.round((base & 0xff) * (1 - a) + (heat & 0xff) * a);
    return (r << 16) | (g << 8) | b;
  }

  private static float clamp(float v, int max) {
    return Math.max(0f, Math.min(max, v));
  }

  private static float lerp(float a, float b, float f) {
    return a + (b - a) * f;
  }
}
