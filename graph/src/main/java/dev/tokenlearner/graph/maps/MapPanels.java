package dev.tokenlearner.graph.maps;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * One picture of a TokenLearner's attention: a title line, then one row of panels on a white
 * background, the input first and then each learned token's map as a {@link HeatOverlay} on it,
 * each captioned.
 */
public final class MapPanels {

  /** White space around and between panels, in pixels. */
  public static final int GAP = 8;

  /** Height of the title and caption band above the panels. */
  public static final int HEADER = 40;

  /** The longer side small inputs are enlarged to. */
  public static final int MIN_PANEL_SIDE = 112;

  private MapPanels() {}

  /**
   * Draws the panels.
   *
   * @param input the input as shown (see {@link InputImages})
   * @param maps the weights, {@code k} row-major {@code [gridH, gridW]} maps from {@code offset}
   * @param offset index of the first map's first weight
   * @param k number of learned tokens
   * @param gridH rows of the patch grid
   * @param gridW columns of the patch grid
   * @param title the title line, e.g. the predicted label
   * @return {@code 1 + k} panels in a row
   */
  public static BufferedImage draw(
      BufferedImage input, float[] maps, int offset, int k, int gridH, int gridW, String title) {
    System.setProperty("java.awt.headless", "true");
    BufferedImage shown = InputImages.enlarge(input, MIN_PANEL_SIDE);
    int pw = shown.getWidth();
    int ph = shown.getHeight();
    BufferedImage out =
        new BufferedImage(
            GAP + (k + 1) * (pw + GAP), HEADER + ph + GAP, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
      g.drawString(title, GAP, 16);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      for (int i = 0; i <= k; i++) {
        int x = GAP + i * (pw + GAP);
        BufferedImage panel =
            i == 0
                ? shown
                : HeatOverlay.draw(shown, maps, offset + (i - 1) * gridH * gridW, gridH, gridW);
        g.drawImage(panel, x, HEADER, null);
        g.drawString(i == 0 ? "input" : "token " + (i - 1), x, HEADER - 5);
      }
    } finally {
      g.dispose();
    }
    return out;
  }
}
