package dev.tokenlearner.export;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes JPEG, PNG, BMP and GIF bytes with {@code javax.imageio}, refusing hostile input before
 * the decoder allocates for it.
 *
 * <p>The image size is read from the header first: more than {@link #MAX_PIXELS} pixels, or more
 * pixels than {@link #MAX_PIXELS_PER_BYTE} per encoded byte could produce (a header claiming a huge
 * image over a few bytes of data), is refused before the pixel buffer exists. Decoder errors of any
 * kind (ImageIO throws unchecked exceptions on corrupt data) become {@link ImageFormatException}s
 * naming the source. Grey-scale images come back as RGB with the stored grey value in every
 * channel, as TensorFlow decodes them. Thread-safe: each call uses its own reader.
 */
public final class ImageDecoder {

  /** BMP compression field value: the pixels are a JPEG stream. */
  private static final int BI_JPEG = 4;

  /** BMP compression field value: the pixels are a PNG stream. */
  private static final int BI_PNG = 5;

  /** Largest image accepted: 2^26 pixels, e.g. 8192 x 8192. */
  public static final long MAX_PIXELS = 1L << 26;

  /**
   * Pixels one encoded byte may stand for. Deflate (PNG) expands at most 1032:1, and a 1-bit PNG
   * packs 8 pixels per byte; JPEG, GIF and BMP expand less.
   */
  public static final long MAX_PIXELS_PER_BYTE = 8 * 1032;

  /** Largest encoded file read into memory. */
  public static final long MAX_FILE_BYTES = 1L << 30;

  private ImageDecoder() {}

  /**
   * A grey-scale image as RGB with each channel equal to the stored grey value, as TensorFlow's
   * {@code decode_image(channels=3)} gives. ({@code BufferedImage.getRGB} would instead convert
   * from linear grey to sRGB and brighten it.) Other images are returned as they are.
   */
  private static BufferedImage greyAsStoredRgb(BufferedImage img) {
    if (img.getColorModel().getColorSpace().getType() != ColorSpace.TYPE_GRAY) {
      return img;
    }
    Raster raster = img.getRaster();
    int max = (1 << img.getColorModel().getComponentSize(0)) - 1;
    int w = img.getWidth();
    int h = img.getHeight();
    BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int sample = raster.getSample(x, y, 0);
        int v = max == 255 ? sample : (sample * 255 + max / 2) / max;
        rgb.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    return rgb;
  }

  /**
   * Reads and decodes an image file.
   *
   * @param file the file
   * @return the image
   * @throws NoSuchFileException if the file does not exist
   * @throws ImageFormatException if it is not a decodable image or is too large
   * @throws IOException if it cannot be read
   */
  public static BufferedImage decode(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      if (!Files.exists(file)) {
        throw new NoSuchFileException(file.toString(), null, "no such image file");
      }
      throw new ImageFormatException(file.toString(), "not a regular file", null);
    }
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new ImageFormatException(
          file.toString(), size + " bytes, more than the " + MAX_FILE_BYTES + " accepted", null);
    }
    return decode(Files.readAllBytes(file), file.toString());
  }

  /**
   * Refuses a BMP whose pixels are an embedded JPEG or PNG (compression {@code BI_JPEG} or {@code
   * BI_PNG}): javax.imageio's reader sizes its buffers for those from fields the outer header does
   * not bound (a 108-byte file made it allocate 900 MB), and TensorFlow's BMP decoder, which
   * evaluation and serving use, reads only uncompressed BMPs anyway.
   */
  private static void refuseEmbeddedBmp(byte[] bytes, String what) throws ImageFormatException {
    if (bytes.length >= 34 && bytes[0] == 'B' && bytes[1] == 'M') {
      int compression =
          (bytes[30] & 0xFF)
              | (bytes[31] & 0xFF) << 8
              | (bytes[32] & 0xFF) << 16
              | (bytes[33] & 0xFF) << 24;
      if (compression == BI_JPEG || compression == BI_PNG) {
        throw new ImageFormatException(
            what, "a BMP holding an embedded JPEG or PNG is not supported; convert it", null);
      }
    }
  }

  /**
   * Decodes an encoded image.
   *
   * @param bytes the encoded image
   * @param what the file or record, for messages
   * @return the image
   * @throws ImageFormatException if no decoder accepts it, it is corrupt or it is too large
   */
  public static BufferedImage decode(byte[] bytes, String what) throws ImageFormatException {
    refuseEmbeddedBmp(bytes, what);
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        throw new ImageFormatException(
            what, "not an image javax.imageio can decode (JPEG, PNG, BMP, GIF)", null);
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long width = reader.getWidth(0);
        long height = reader.getHeight(0);
        long pixels = width * height;
        if (width <= 0 || height <= 0) {
          throw new ImageFormatException(
              what, "header gives an empty image (" + width + "x" + height + ")", null);
        }
        if (pixels > MAX_PIXELS || pixels > MAX_PIXELS_PER_BYTE * bytes.length) {
          throw new ImageFormatException(
              what,
              "header claims "
                  + width
                  + "x"
                  + height
                  + " pixels, more than "
                  + (pixels > MAX_PIXELS
                      ? "the limit of " + MAX_PIXELS
                      : "the " + bytes.length + " encoded bytes can hold"),
              null);
        }
        BufferedImage img = reader.read(0);
        if (img == null) {
          throw new ImageFormatException(what, "decoder returned no image", null);
        }
        return greyAsStoredRgb(img);
      } finally {
        reader.dispose();
      }
    } catch (ImageFormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // ImageIO reports corrupt data with IIOException but also with unchecked exceptions.
      throw new ImageFormatException(what, "corrupt or unsupported image: " + e, e);
    }
  }
}
