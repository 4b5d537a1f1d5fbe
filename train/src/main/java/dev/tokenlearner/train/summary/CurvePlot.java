package dev.tokenlearner.train.summary;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws the learning curves of a run as a PNG with plain {@code java.awt}: loss on the left,
 * accuracy on the right, training (blue) and held-out (orange) series against the step.
 */
public final class CurvePlot {

  /** Image width in pixels. */
  public static final int WIDTH = 1000;

  /** Image height in pixels. */
  public static final int HEIGHT = 420;

  private static final Color TRAIN = new Color(31, 119, 180);
  private static final Color EVAL = new Color(255, 127, 14);
  private static final int MARGIN_LEFT = 60;
  private static final int MARGIN_RIGHT = 20;
  private static final int MARGIN_TOP = 36;
  private static final int MARGIN_BOTTOM = 44;

  private CurvePlot() {}

  /**
   * Draws the rows of a metrics log and writes the PNG.
   *
   * @param rows the metrics
   * @param title a title for the figure
   * @param png the file to write
   * @throws IOException if the file cannot be written
   */
  public static void write(List<MetricsLog.Row> rows, String title, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      g.drawString(title, MARGIN_LEFT, 18);
      int half = WIDTH / 2;
      panel(g, rows, "loss", 0, half);
      panel(g, rows, "accuracy", half, half);
    } finally {
      g.dispose();
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(img, "png", png.toFile());
  }

  private static void panel(Graphics2D g, List<MetricsLog.Row> rows, String metric, int x0, int w) {
    List<double[]> train = series(rows, "train", metric);
    List<double[]> eval = series(rows, "eval", metric);
    int left = x0 + MARGIN_LEFT;
    int right = x0 + w - MARGIN_RIGHT;
    int top = MARGIN_TOP;
    int bottom = HEIGHT - MARGIN_BOTTOM;
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double minY = metric.equals("accuracy") ? 0 : Double.MAX_VALUE;
    double maxY = metric.equals("accuracy") ? 1 : -Double.MAX_VALUE;
    for (List<double[]> s : List.of(train, eval)) {
      for (double[] p : s) {
        minX = Math.min(minX, p[0]);
        maxX = Math.max(maxX, p[0]);
        if (!metric.equals("accuracy")) {
          minY = Math.min(minY, p[1]);
          maxY = Math.max(maxY, p[1]);
        }
      }
    }
    if (minX > maxX) {
      minX = 0;
      maxX = 1;
      minY = 0;
      maxY = 1;
    }
    if (maxX == minX) {
      maxX = minX + 1;
    }
    if (maxY == minY) {
      maxY = minY + 1;
    }
    if (!metric.equals("accuracy")) {
      minY = Math.min(0, minY);
    }
    g.setStroke(new BasicStroke(1f));
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int i = 0; i <= 4; i++) {
      double fy = i / 4.0;
      int y = (int) Math.round(bottom - fy * (bottom - top));
      g.setColor(new Color(225, 225, 225));
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.3g", minY + fy * (maxY - minY)), x0 + 6, y + 4);
      int x = (int) Math.round(left + fy * (right - left));
      g.drawString(
          String.format(Locale.ROOT, "%d", Math.round(minX + fy * (maxX - minX))),
          x - 10,
          bottom + 16);
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, right - left, bottom - top);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
    g.drawString(metric, left + (right - left) / 2 - 20, top - 6);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.drawString("step", left + (right - left) / 2 - 10, bottom + 32);
    draw(g, train, TRAIN, left, right, top, bottom, minX, maxX, minY, maxY);
    draw(g, eval, EVAL, left, right, top, bottom, minX, maxX, minY, maxY);
    g.setColor(TRAIN);
    g.drawString("train", right - 80, top + 16);
    g.setColor(EVAL);
    g.drawString("held-out", right - 80, top + 30);
  }

  private static void draw(
      Graphics2D g,
      List<double[]> s,
      Color c,
      int left,
      int right,
      int top,
      int bottom,
      double minX,
      double maxX,
      double minY,
      double maxY) {
    g.setColor(c);
    g.setStroke(new BasicStroke(2f));
    int px = -1;
    int py = -1;
    for (double[] p : s) {
      int x = (int) Math.round(left + (p[0] - minX) / (maxX - minX) * (right - left));
      int y = (int) Math.round(bottom - (p[1] - minY) / (maxY - minY) * (bottom - top));
      if (px >= 0) {
        g.drawLine(px, py, x, y);
      }
      g.fillOval(x - 2, y - 2, 5, 5);
      px = x;
      py = y;
    }
  }

  private static List<double[]> series(List<MetricsLog.Row> rows, String split, String metric) {
    List<double[]> out = new ArrayList<>();
    for (MetricsLog.Row r : rows) {
      if (r.split().equals(split) && r.name().equals(metric) && Double.isFinite(r.value())) {
        out.add(new double[] {r.step(), r.value()});
      }
    }
    return out;
  }
}
