package dev.tokenlearner.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A PNG bar chart of each TokenLearner config's measured speedup next to its FLOP ratio, one panel
 * per measurement kind and batch size, drawn with java.awt.
 */
public final class Chart {

  private static final int WIDTH = 1000;
  private static final int ROW = 26;
  private static final int PANEL_HEADER = 34;
  private static final int LEFT = 190;
  private static final int RIGHT = 60;
  private static final int TOP = 60;
  private static final int BOTTOM = 40;
  private static final Color FLOP_COLOR = new Color(0xB0C4DE);
  private static final Color SPEEDUP_COLOR = new Color(0x1F4E79);
  private static final Color MISS_COLOR = new Color(0xC0504D);

  private Chart() {}

  /**
   * Draws the chart.
   *
   * @param measurements all measurements; plain rows are skipped (their ratios are 1)
   * @param title the chart title
   * @return the image
   */
  public static BufferedImage draw(List<Measurement> measurements, String title) {
    Map<String, List<Measurement>> panels = new LinkedHashMap<>();
    for (Measurement m : measurements) {
      if (!m.isPlain()) {
        String key =
            (m.kind() == ModelRunner.Kind.FORWARD ? "inference" : "training step")
                + ", batch "
                + m.batch();
        panels.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
      }
    }
    double max = 1.0;
    int rows = 0;
    for (List<Measurement> p : panels.values()) {
      rows += p.size();
      for (Measurement m : p) {
        max = Math.max(max, Math.max(m.flopRatio(), m.speedup()));
      }
    }
    double axisMax = Math.ceil(max * 4) / 4 + 0.25;
    int height = TOP + BOTTOM + panels.size() * PANEL_HEADER + rows * ROW + 10;
    BufferedImage img = new BufferedImage(WIDTH, Math.max(height, 200), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, img.getWidth(), img.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, 12, 24);
      legend(g);
      int plotW = WIDTH - LEFT - RIGHT;
      int y = TOP;
      Font label = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
      for (Map.Entry<String, List<Measurement>> panel : panels.entrySet()) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(panel.getKey(), 12, y + 20);
        y += PANEL_HEADER;
        int top = y;
        g.setFont(label);
        FontMetrics fm = g.getFontMetrics();
        for (Measurement m : panel.getValue()) {
          g.setColor(Color.BLACK);
          g.drawString(m.config(), LEFT - 8 - fm.stringWidth(m.config()), y + 17);
          int wf = (int) Math.round(m.flopRatio() / axisMax * plotW);
          int ws = (int) Math.round(m.speedup() / axisMax * plotW);
          g.setColor(FLOP_COLOR);
          g.fillRect(LEFT, y + 3, wf, 9);
          g.setColor(m.meetsTarget() ? SPEEDUP_COLOR : MISS_COLOR);
          g.fillRect(LEFT, y + 12, ws, 9);
          g.setColor(Color.DARK_GRAY);
          g.drawString(
              String.format(Locale.ROOT, "%.2fx / %.2fx", m.speedup(), m.flopRatio()),
              LEFT + Math.max(wf, ws) + 6,
              y + 17);
          y += ROW;
        }
        // The x = 1 line: no speedup.
        int x1 = LEFT + (int) Math.round(1.0 / axisMax * plotW);
        g.setColor(Color.GRAY);
        g.setStroke(
            new BasicStroke(
                1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
        g.drawLine(x1, top, x1, y);
        g.setStroke(new BasicStroke(1f));
        g.drawLine(LEFT, top, LEFT, y);
      }
      axis(g, y, axisMax, plotW);
    } finally {
      g.dispose();
    }
    return img;
  }

  /**
   * Draws and writes the chart as PNG.
   *
   * @param measurements all measurements
   * @param title the chart title
   * @param file the PNG file to write
   * @throws IOException if the file cannot be written
   */
  public static void write(List<Measurement> measurements, String title, Path file)
      throws IOException {
    if (!ImageIO.write(draw(measurements, title), "png", file.toFile())) {
      throw new IOException("no PNG writer available for " + file);
    }
  }

  private static void legend(Graphics2D g) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    int x = LEFT;
    String[] labels = {
      "analytic FLOP ratio (plain / config)",
      "measured speedup (>= 0.95 x FLOP ratio)",
      "measured speedup (below target)"
    };
    Color[] colors = {FLOP_COLOR, SPEEDUP_COLOR, MISS_COLOR};
    for (int i = 0; i < labels.length; i++) {
      g.setColor(colors[i]);
      g.fillRect(x, 34, 14, 10);
      g.setColor(Color.BLACK);
      g.drawString(labels[i], x + 18, 44);
      x += 18 + fm.stringWidth(labels[i]) + 24;
    }
  }

  private static void axis(Graphics2D g, int y, double axisMax, int plotW) {
    g.setColor(Color.BLACK);
    g.drawLine(LEFT, y, LEFT + plotW, y);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    FontMetrics fm = g.getFontMetrics();
    for (double t = 0; t <= axisMax + 1e-9; t += 0.25) {
      int x = LEFT + (int) Math.round(t / axisMax * plotW);
      g.drawLine(x, y, x, y + 4);
      String s = String.format(Locale.ROOT, "%.2f", t);
      g.drawString(s, x - fm.stringWidth(s) / 2, y + 17);
    }
  }
}
