package dev.tokenlearner.export;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.graph.preprocess.EvalPreprocessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Turns image files into a model input batch {@code [n, H, W, C]} with the model's evaluation
 * preprocessing ({@link EvalPreprocessing}: decode PNG, JPEG, BMP or GIF, resize the shorter side,
 * centre crop, normalise).
 */
public final class ImageInputs {

  /** File extensions picked up when a directory is given. */
  public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

  /** Largest image file read (1 GiB): anything larger is refused before reading. */
  public static final long MAX_FILE_BYTES = 1L << 30;

  private ImageInputs() {}

  /**
   * The image files of a directory, sorted by name.
   *
   * @param dir a directory
   * @return its files with an image extension
   * @throws IOException if the directory cannot be listed
   */
  public static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).filter(ImageInputs::isImage).sorted().toList();
    }
  }

  /**
   * Whether a file name has an image extension.
   *
   * @param file a path
   * @return true for {@code .png}, {@code .jpg}, ...
   */
  public static boolean isImage(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = name.lastIndexOf('.');
    return dot >= 0 && EXTENSIONS.contains(name.substring(dot + 1));
  }

  /**
   * Decodes and preprocesses images into one batch with the evaluation preprocessing ({@link
   * EvalPreprocessing}: resize the shorter side, centre crop, normalise), the same ops the
   * trainer's evaluation runs.
   *
   * @param files the images, in batch order
   * @param preprocessing the model's preprocessing
   * @return {@code [files.size(), H, W, C]}
   * @throws IOException naming the file if it cannot be read or decoded
   * @throws IllegalArgumentException if no files are given
   */
  public static HostArray load(List<Path> files, EvalPreprocessing preprocessing)
      throws IOException {
    if (files.isEmpty()) {
      throw new InvalidInputException("no image files given");
    }
    try (EvalPreprocessor p = new EvalPreprocessor(preprocessing)) {
      int per = p.outputSize();
      float[] out = new float[Math.multiplyExact(per, files.size())];
      for (int i = 0; i < files.size(); i++) {
        Path f = files.get(i);
        decode(p, read(f), f.toString(), out, i * per);
      }
      return new HostArray(
          new long[] {
            files.size(), preprocessing.height(), preprocessing.width(), preprocessing.channels()
          },
          out);
    }
  }

  /**
   * Decodes and preprocesses one encoded image with TensorFlow's decode ops.
   *
   * @param p the preprocessor
   * @param bytes the encoded image
   * @param what the file, for messages
   * @param out destination
   * @param offset first float of the image in {@code out}
   * @throws ImageFormatException naming {@code what} if TensorFlow cannot decode the bytes
   */
  static void decode(EvalPreprocessor p, byte[] bytes, String what, float[] out, int offset)
      throws ImageFormatException {
    try {
      p.run(bytes, what, out, offset);
    } catch (IOException e) {
      throw new ImageFormatException(
          what, "not an image TensorFlow can decode (JPEG, PNG, GIF, BMP)", e);
    }
  }

  /**
   * Reads an image file's bytes, refusing files over {@link #MAX_FILE_BYTES}.
   *
   * @param file the image file
   * @return its bytes
   * @throws NoSuchFileException if it does not exist
   * @throws ImageFormatException if it is not a regular file or too large
   * @throws IOException if it cannot be read
   */
  public static byte[] read(Path file) throws IOException {
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
    return Files.readAllBytes(file);
  }
}
