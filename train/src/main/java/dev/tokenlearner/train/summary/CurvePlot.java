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
 * Draws the learning curves of a run as a PNG with plain {@code java.awt}: loss, accuracy and
 * learning rate side by side against the step, training in blue and held-out in orange. The title
 * is the experiment's name and the legend sits in the header, clear of the curves; axes end on
 * round tick values (1, 2, 2.5 or 5 times a power of ten).
 */
public final class CurvePlot {

  /** Image width in pixels. */
  public static final int WIDTH = 1200;

  /** Image height in pixels. */
  public static final int HEIGHT = 420;

  /** Top of the plot areas: above it are the title, the legend and the panel names. */
  public static final int PLOT_TOP = 56;

  static final Color TRAIN = new Color(31, 119, 180);
  static final Color EVAL = new Color(255, 127, 14);
  private static final int MARGIN_LEFT = 64;
  private static final int MARGIN_RIGHT = 16;
  private static final int MARGIN_BOTTOM = 44;
  private static final int TICKS = 5;

  private CurvePlot() {}

  /**
   * Draws the rows of a metrics log and writes the PNG.
   *
   * @param rows the metrics
   * @param title the figure's title (the experiment name)
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
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      g.drawString(title, MARGIN_LEFT, 20);
      legend(g);
      int third = WIDTH / 3;
      panel(g, rows, "loss", "loss", 0, third);
      panel(g, rows, "accuracy", "accuracy", third, third);
      panel(g, rows, "learning_rate", "learning rate", 2 * third, WIDTH - 2 * third);
    } finally {
      g.dispose();
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(img, "png", png.toFile());
  }

  /** The legend, right-aligned in the header row. */
  private static void legend(Graphics2D g) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int x = WIDTH - MARGIN_RIGHT - 190;
    int y = 20;
    for (Object[] entry : new Object[][] {{TRAIN, "train"}, {EVAL, "held-out"}}) {
      g.setColor((Color) entry[0]);
      g.setStroke(new BasicStroke(3f));
      g.drawLine(x, y - 4, x + 24, y - 4);
      g.setColor(Color.DARK_GRAY);
      g.drawString((String) entry[1], x + 30, y);
      x += 100;
    }
  }

  private static void panel(
      Graphics2D g, List<MetricsLog.Row> rows, String metric, String label, int x0, int w) {
    List<double[]> train = series(rows, "train", metric);
    List<double[]> eval = series(rows, "eval", metric);
    int left = x0 + MARGIN_LEFT;
    int right = x0 + w - MARGIN_RIGHT;
    int top = PLOT_TOP;
    int bottom = HEIGHT - MARGIN_BOTTOM;
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double minY = 0;
    double maxY = metric.equals("accuracy") ? 1 : -Double.MAX_VALUE;
    for (List<double[]> s : List.of(train, eval)) {
      for (double[] p : s) {
        minX = Math.min(minX, p[0]);
        maxX = Math.max(maxX, p[0]);
        minY = Math.min(minY, p[1]);
        maxY = Math.max(maxY, p[1]);
      }
    }
    if (minX > maxX) {
      minX = 0;
      maxX = 1;
    }
    if (!(maxY > minY)) {
      maxY = minY + 1;
    }
    // Steps are whole numbers: a range of at least TICKS keeps the tick step at 1 or more.
    double[] xTicks = niceTicks(minX, Math.max(maxX, minX + TICKS), TICKS);
    double[] yTicks = niceTicks(minY, maxY, TICKS);
    minX = xTicks[0];
    maxX = xTicks[xTicks.length - 1];
    minY = yTicks[0];
    maxY = yTicks[yTicks.length - 1];
    double xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : 1;
    double yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;

    g.setStroke(new BasicStroke(1f));
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (double t : yTicks) {
      int y = (int) Math.round(bottom - (t - minY) / (maxY - minY) * (bottom - top));
      g.setColor(new Color(225, 225, 225));
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      String s = tickLabel(t, yStep);
      g.drawString(s, left - 6 - g.getFontMetrics().stringWidth(s), y + 4);
    }
    for (double t : xTicks) {
      int x = (int) Math.round(left + (t - minX) / (maxX - minX) * (right - left));
      g.setColor(new Color(225, 225, 225));
      g.drawLine(x, top, x, bottom);
      g.setColor(Color.DARK_GRAY);
      String s = tickLabel(t, xStep);
      g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, bottom + 16);
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, right - left, bottom - top);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
    g.drawString(label, left + (right - left - g.getFontMetrics().stringWidth(label)) / 2, top - 8);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.drawString("step", left + (right - left) / 2 - 10, bottom + 32);
    draw(g, train, TRAIN, left, right, top, bottom, minX, maxX, minY, maxY);
    draw(g, eval, EVAL, left, right, top, bottom, minX, maxX, minY, maxY);
  }

  /**
   * Round tick values covering {@code [lo, hi]}: about {@code target} steps of 1, 2, 2.5 or 5 times
   * a power of ten, from a multiple of the step at or below {@code lo} to one at or above {@code
   * hi}.
   */
  static double[] niceTicks(double lo, double hi, int target) {
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    double step = niceStep((hi - lo) / target);
    long first = (long) Math.floor(lo / step + 1e-9);
    long last = (long) Math.ceil(hi / step - 1e-9);
    double[] ticks = new double[(int) (last - first) + 1];
    for (int i = 0; i < ticks.length; i++) {
      // Multiplying integers by the step keeps 0.1 * 3 from printing as 0.30000000000000004.
      ticks[i] = Double.parseDouble(String.format(Locale.ROOT, "%.12g", (first + i) * step));
    }
    return ticks;
  }

  private static double niceStep(double raw) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / magnitude;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return nice * magnitude;
  }

  /** A tick value with as many decimals as its step needs; steps below 1e-4 in e-notation. */
  static String tickLabel(double value, double step) {
    if (step >= 1 && value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%,d", (long) value);
    }
    if (step < 1e-4) {
      return value == 0 ? "0" : String.format(Locale.ROOT, "%.1e", value);
    }
    int decimals = (int) Math.ceil(-Math.log10(step) - 1e-9);
    if (Math.abs(step * Math.pow(10, decimals) - Math.rint(step * Math.pow(10, decimals))) > 1e-6) {
      decimals++; // 2.5 x 10^-k needs one more
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
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
