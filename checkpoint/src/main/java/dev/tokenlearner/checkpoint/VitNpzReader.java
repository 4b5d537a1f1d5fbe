package dev.tokenlearner.checkpoint;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.checkpoint.npy.NpyDtype;
import dev.tokenlearner.checkpoint.npy.NpyFormatException;
import dev.tokenlearner.checkpoint.npy.NpyHeader;
import dev.tokenlearner.checkpoint.npy.Npz;
import dev.tokenlearner.core.HostArray;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads original ViT checkpoints ({@code .npz}: a zip of {@code .npy} arrays keyed by {@code
 * '/'}-joined paths) from google-research/vision_transformer, AugReg and big_vision, with the
 * renaming Scenic applies.
 *
 * <ul>
 *   <li>Parameters are the entries under {@code opt/target/} if any (big_vision train state, step
 *       from {@code opt/state/step}), else under {@code params/} if any (big_vision params), else
 *       all entries (vision_transformer / AugReg).
 *   <li>Pre-Linen module names are renumbered per class ({@code LayerNorm_0,
 *       MultiHeadDotProductAttention_1, LayerNorm_2, MlpBlock_3} become {@code LayerNorm_0,
 *       MultiHeadDotProductAttention_0, LayerNorm_1, MlpBlock_0}), as Flax's {@code
 *       convert_pre_linen} does.
 *   <li>The top-level {@code head} becomes {@code output_projection}; {@code cls} and {@code
 *       pre_logits} are kept for the loader to use or drop.
 * </ul>
 *
 * <p>Only float32 parameters are accepted. Entries are read one at a time, so reading needs about
 * the size of the parameters in heap.
 */
public final class VitNpzReader {

  /** {@link Checkpoint#format()} of checkpoints read here. */
  public static final String FORMAT = "vit-npz";

  /** Layout of a vision_transformer / AugReg file: parameters at the top. */
  public static final String LAYOUT_ROOT = "root (pre-linen)";

  /** Layout of a big_vision file with {@code params/}. */
  public static final String LAYOUT_PARAMS = "params (pre-linen)";

  /** Layout of a big_vision train state with {@code opt/target/}. */
  public static final String LAYOUT_OPT_TARGET = "opt/target (pre-linen)";

  private static final String NPY_SUFFIX = ".npy";
  private static final String OPT_TARGET = "opt/target/";
  private static final String PARAMS = "params/";
  private static final String STEP_KEY = "opt/state/step";
  private static final String HEAD = "head";
  private static final String OUTPUT_PROJECTION = "output_projection";
  // Deflate cannot expand data more than about 1032:1; a larger claimed size is a corrupt entry.
  private static final long MAX_DEFLATE_RATIO = 1032;

  private VitNpzReader() {}

  /**
   * Reads the parameters of a ViT {@code .npz} file.
   *
   * @param file the {@code .npz} file
   * @return parameters with Scenic's names
   * @throws CheckpointFormatException if the file is not a zip of {@code .npy} arrays, an array is
   *     corrupt or not float32, or names clash after renaming
   * @throws IOException if the file cannot be read
   */
  public static Checkpoint read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CheckpointFormatException(file, "not a regular file");
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      List<ZipEntry> entries = new ArrayList<>();
      for (ZipEntry z : Npz.entries(zip, file)) {
        if (!z.isDirectory() && z.getName().endsWith(NPY_SUFFIX)) {
          entries.add(z);
        }
      }
      if (entries.isEmpty()) {
        throw new CheckpointFormatException(file, "expected .npy entries in the zip, found none");
      }
      String prefix;
      String layout;
      if (entries.stream().anyMatch(z -> key(z).startsWith(OPT_TARGET))) {
        prefix = OPT_TARGET;
        layout = LAYOUT_OPT_TARGET;
      } else if (entries.stream().anyMatch(z -> key(z).startsWith(PARAMS))) {
        prefix = PARAMS;
        layout = LAYOUT_PARAMS;
      } else {
        prefix = "";
        layout = LAYOUT_ROOT;
      }
      Map<String, Object> tree = new LinkedHashMap<>();
      OptionalLong step = OptionalLong.empty();
      for (ZipEntry z : entries) {
        String key = key(z);
        if (prefix.equals(OPT_TARGET) && key.equals(STEP_KEY)) {
          step = OptionalLong.of(readStep(file, zip, z));
        } else if (key.startsWith(prefix)) {
          insert(file, tree, key.substring(prefix.length()), readParam(file, zip, z));
        }
      }
      if (tree.containsKey(HEAD)) {
        if (tree.containsKey(OUTPUT_PROJECTION)) {
          throw new CheckpointFormatException(
              file, "both '" + HEAD + "' and '" + OUTPUT_PROJECTION + "' are present");
        }
        // Scenic's name for the classifier head (load_augreg_params).
        Map<String, Object> renamed = new LinkedHashMap<>();
        tree.forEach((k, v) -> renamed.put(k.equals(HEAD) ? OUTPUT_PROJECTION : k, v));
        tree = renamed;
      }
      Map<String, Object> linen = PreLinen.convert(tree);
      String root = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
      SortedMap<String, HostArray> params = ParamTree.flatten(file, linen, root);
      if (params.isEmpty()) {
        throw new CheckpointFormatException(file, "no parameters under '" + prefix + "'");
      }
      return new Checkpoint(file, FORMAT, layout, step, params);
    } catch (ZipException | EOFException e) {
      // ZipFile reports a cut-off central directory as EOFException.
      throw new CheckpointFormatException(
          file,
          "not a readable zip (.npz) file: "
              + (e.getMessage() == null ? "it ends early" : e.getMessage()),
          e);
    }
  }

  private static String key(ZipEntry z) {
    String name = z.getName();
    return name.substring(0, name.length() - NPY_SUFFIX.length());
  }

  private static long checkedSize(Path file, ZipEntry z) throws CheckpointFormatException {
    long size = z.getSize();
    long compressed = z.getCompressedSize();
    if (size < 0 || compressed < 0 || size > compressed * MAX_DEFLATE_RATIO + 1024) {
      throw new CheckpointFormatException(
          file,
          z.getName() + ": implausible entry size " + size + " (compressed " + compressed + ")");
    }
    return size;
  }

  private static HostArray readParam(Path file, ZipFile zip, ZipEntry z) throws IOException {
    long size = checkedSize(file, z);
    try (InputStream in = zip.getInputStream(z)) {
      NpyHeader h = Npy.readHeader(in, size, z.getName());
      if (h.dtype() != NpyDtype.FLOAT32) {
        throw new CheckpointFormatException(
            file,
            key(z) + ": parameter has dtype " + h.dtype().descr() + ", expected <f4 (float32)");
      }
      return Npy.readData(in, h, size, z.getName());
    } catch (NpyFormatException e) {
      throw new CheckpointFormatException(file, e.getMessage(), e);
    } catch (ZipException | EOFException e) {
      // The inflater reports a corrupt or cut-off entry as these.
      throw new CheckpointFormatException(
          file, z.getName() + ": corrupt compressed entry (" + e.getMessage() + ")", e);
    }
  }

  private static long readStep(Path file, ZipFile zip, ZipEntry z) throws IOException {
    long size = checkedSize(file, z);
    try (InputStream in = zip.getInputStream(z)) {
      NpyHeader h = Npy.readHeader(in, size, z.getName());
      long[] v = Npy.readLongs(in, h, size, z.getName());
      if (v.length != 1) {
        throw new CheckpointFormatException(
            file, STEP_KEY + ": expected one value, found " + v.length);
      }
      return v[0];
    } catch (NpyFormatException e) {
      throw new CheckpointFormatException(file, e.getMessage(), e);
    } catch (ZipException | EOFException e) {
      // The inflater reports a corrupt or cut-off entry as these.
      throw new CheckpointFormatException(
          file, z.getName() + ": corrupt compressed entry (" + e.getMessage() + ")", e);
    }
  }

  /** Puts {@code value} at the {@code '/'}-separated {@code path} of a nested tree. */
  private static void insert(Path file, Map<String, Object> tree, String path, HostArray value)
      throws CheckpointFormatException {
    String[] parts = path.split(ParamTree.SEPARATOR, -1);
    Map<String, Object> node = tree;
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].isEmpty()) {
        throw new CheckpointFormatException(
            file, "entry '" + path + "' has an empty path component");
      }
      if (i == parts.length - 1) {
        if (node.putIfAbsent(parts[i], value) != null) {
          throw new CheckpointFormatException(
              file, "entry '" + path + "' clashes with another entry");
        }
      } else {
        Object child = node.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
        if (!(child instanceof Map<?, ?>)) {
          throw new CheckpointFormatException(
              file, "entry '" + path + "' runs through an array entry");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> next = (Map<String, Object>) child;
        node = next;
      }
    }
  }
}
