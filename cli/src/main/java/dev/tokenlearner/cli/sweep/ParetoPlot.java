package dev.tokenlearner.cli.sweep;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Accuracy against GFLOPs of a sweep's models as a PNG: every model a labelled point, the Pareto
 * front (no other model is both cheaper and at least as accurate) joined by a line.
 */
public final class ParetoPlot {

  /** Image width in pixels. */
  public static final int WIDTH = 900;

  /** Image height in pixels. */
  public static final int HEIGHT = 560;

  private static final int LEFT = 70;
  private static final int RIGHT = 30;
  private static final int TOP = 52;
  private static final int BOTTOM = 50;
  private static final Color FRONT = new Color(214, 39, 40);
  private static final Color OTHER = new Color(31, 119, 180);

  private ParetoPlot() {}

  /**
   * The Pareto front: rows that no other row beats on both GFLOPs (fewer or equal) and accuracy
   * (higher or equal, one of the two strictly).
   *
   * @param rows the models
   * @return the front, cheapest first
   */
  public static List<SweepRow> front(List<SweepRow> rows) {
    List<SweepRow> sorted = new ArrayList<>(rows);
    sorted.sort(
        Comparator.comparingDouble(SweepRow::gflops)
            .thenComparing(Comparator.comparingDouble(SweepRow::accuracy).reversed()));
    List<SweepRow> out = new ArrayList<>();
    double best = Double.NEGATIVE_INFINITY;
    for (SweepRow r : sorted) {
      if (r.accuracy() > best) {
        out.add(r);
        best = r.accuracy();
      }
    }
    return out;
  }

  /**
   * Draws the rows and writes the PNG (to a temporary file, then renamed).
   *
   * @param rows the models (at least one)
   * @param title the title line
   * @param png the file
   * @throws IOException if it cannot be written
   */
  public static void write(List<SweepRow> rows, String title, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      draw(g, rows, title);
    } finally {
      g.dispose();
    }
    Path target = png.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    try {
      ImageIO.write(img, "png", tmp.toFile());
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void draw(Graphics2D g, List<SweepRow> rows, String title) {
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    double minX = rows.stream().mapToDouble(SweepRow::gflops).min().orElse(0);
    double maxX = rows.stream().mapToDouble(SweepRow::gflops).max().orElse(1);
    double minY = rows.stream().mapToDouble(SweepRow::accuracy).min().orElse(0);
    double maxY = rows.stream().mapToDouble(SweepRow::accuracy).max().orElse(1);
    // Pad the ranges so single points and labels stay inside.
    double padX = Math.max((maxX - minX) * 0.1, Math.max(maxX, 1e-6) * 0.05);
    double padY = Math.max((maxY - minY) * 0.15, 0.01);
    double x0 = Math.max(0, minX - padX);
    double x1 = maxX + padX;
    double y0 = Math.max(0, minY - padY);
    double y1 = Math.min(1, maxY + padY);
    int w = WIDTH - LEFT - RIGHT;
    int h = HEIGHT - TOP - BOTTOM;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, LEFT, 20);
    g.drawRect(LEFT, TOP, w, h);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int i = 0; i <= 5; i++) {
      double fx = x0 + (x1 - x0) * i / 5;
      int px = LEFT + w * i / 5;
      g.setColor(new Color(230, 230, 230));
      g.drawLine(px, TOP + 1, px, TOP + h - 1);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "%.4g", fx), px - 14, TOP + h + 16);
      double fy = y0 + (y1 - y0) * i / 5;
      int py = TOP + h - h * i / 5;
      g.setColor(new Color(230, 230, 230));
      g.drawLine(LEFT + 1, py, LEFT + w - 1, py);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "%.3f", fy), LEFT - 40, py + 4);
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
    g.drawString("GFLOPs per example", LEFT + w / 2 - 50, HEIGHT - 12);
    g.drawString("held-out accuracy", 8, TOP - 10);
    List<SweepRow> front = front(rows);
    g.setColor(FRONT);
    g.setStroke(new BasicStroke(2f));
    for (int i = 1; i < front.size(); i++) {
      SweepRow a = front.get(i - 1);
      SweepRow b = front.get(i);
      g.drawLine(
          px(a.gflops(), x0, x1, w),
          py(a.accuracy(), y0, y1, h),
          px(b.gflops(), x0, x1, w),
          py(b.accuracy(), y0, y1, h));
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (SweepRow r : rows) {
      int px = px(r.gflops(), x0, x1, w);
      int py = py(r.accuracy(), y0, y1, h);
      g.setColor(front.contains(r) ? FRONT : OTHER);
      g.fillOval(px - 5, py - 5, 10, 10);
      g.setColor(Color.BLACK);
      g.drawString(r.name(), px + 7, py - 6);
    }
  }

  private static int px(double v, double lo, double hi, int w) {
    return LEFT + (int) Math.round((v - lo) / (hi - lo) * w);
  }

  private static int py(double v, double lo, double hi, int h) {
    return TOP + h - (int) Math.round((v - lo) / (hi - lo) * h);
  }
}
