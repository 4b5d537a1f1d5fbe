package dev.tokenlearner.checkpoint;

import dev.tokenlearner.core.HostArray;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;

/**
 * Writes a {@link FlaxTrainState} as Scenic's optax-era {@code checkpoint_<step>} file, the bytes
 * {@code flax.training.checkpoints.save_checkpoint} would write for the same state.
 *
 * <p>The top-level map has the keys {@code opt_state, params, global_step, model_state, rng,
 * metadata} in that order; {@code params} is nested by path with sorted keys; arrays are msgpack
 * extension 1 ndarrays ({@code [shape, dtype name, little-endian bytes]}); {@code global_step} is a
 * 0-d int32 ndarray, {@code rng} a uint32 ndarray and {@code model_state} an empty map. Arrays over
 * {@link #MAX_CHUNK_BYTES} are split into {@code __msgpack_chunked_array__} maps, as Flax does.
 *
 * <p>{@link #save} is atomic: it writes {@code <dir>/checkpoint_tmp}, syncs it to disk and renames
 * it to {@code <dir>/checkpoint_<step>}, then deletes the oldest checkpoint files beyond {@code
 * keep}.
 */
public final class FlaxMsgpackWriter {

  /** Flax's {@code MAX_CHUNK_SIZE}: arrays of more bytes than this are written in chunks. */
  public static final long MAX_CHUNK_BYTES = 1L << 30;

  /** Name of the temporary file; Flax uses and ignores the same name. */
  public static final String TMP_NAME = "checkpoint_tmp";

  private static final int WRITE_BUFFER_BYTES = 1 << 20;
  private static final int SCRATCH_BYTES = 1 << 16;

  private FlaxMsgpackWriter() {}

  /**
   * Saves a train state atomically as {@code <dir>/checkpoint_<step>} and prunes old checkpoints.
   *
   * @param dir the checkpoint directory, created if missing
   * @param state the train state
   * @param keep how many {@code checkpoint_<N>} files to keep, newest first (at least 1)
   * @return the path of the written checkpoint
   * @throws IllegalArgumentException if {@code keep < 1}
   * @throws IOException if writing, syncing, renaming or pruning fails
   */
  public static Path save(Path dir, FlaxTrainState state, int keep) throws IOException {
    if (keep < 1) {
      throw new IllegalArgumentException("keep must be at least 1, got " + keep);
    }
    Files.createDirectories(dir);
    Path tmp = dir.resolve(TMP_NAME);
    Path target = dir.resolve(Checkpoints.PREFIX + state.step());
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), WRITE_BUFFER_BYTES);
      write(out, state, MAX_CHUNK_BYTES);
      out.flush();
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      // Name the checkpoint and say what survives: "No space left on device" alone does not.
      throw new IOException(
          "cannot write checkpoint "
              + target
              + ": "
              + e.getMessage()
              + "; the checkpoints already in "
              + dir
              + " are unchanged",
          e);
    } catch (RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    syncDirectory(dir);
    prune(dir, keep);
    return target;
  }

  /**
   * Writes a train state to a stream (left open, flushed).
   *
   * @param out the stream
   * @param state the train state
   * @throws IOException if the stream cannot be written
   */
  public static void write(OutputStream out, FlaxTrainState state) throws IOException {
    write(out, state, MAX_CHUNK_BYTES);
  }

  /** As {@link #write(OutputStream, FlaxTrainState)} with a chosen chunking threshold. */
  static void write(OutputStream out, FlaxTrainState state, long maxChunkBytes) throws IOException {
    MessagePacker pk = MessagePack.newDefaultPacker(out);
    pk.packMapHeader(6);
    pk.packString("opt_state");
    packTree(pk, state.optState(), maxChunkBytes, true);
    pk.packString("params");
    packTree(pk, ParamTree.unflatten(state.params()), maxChunkBytes, true);
    pk.packString("global_step");
    packScalar(pk, FlaxDtype.INT32, state.step());
    pk.packString("model_state");
    pk.packMapHeader(0);
    pk.packString("rng");
    int[] rng = state.rng();
    ByteBuffer rb = ByteBuffer.allocate(rng.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    rb.asIntBuffer().put(rng);
    packNdarray(pk, new long[] {rng.length}, FlaxDtype.UINT32, rb.array());
    pk.packString("metadata");
    if (state.metadata() == null) {
      pk.packNil();
    } else {
      packTree(pk, state.metadata(), maxChunkBytes, false);
    }
    pk.flush();
  }

  /**
   * Packs a tree; with {@code intsAsArrays}, Integer and Long leaves become 0-d int32 / int64
   * ndarrays (optax counters), otherwise msgpack integers.
   */
  private static void packTree(
      MessagePacker pk, Map<String, Object> tree, long maxChunkBytes, boolean intsAsArrays)
      throws IOException {
    pk.packMapHeader(tree.size());
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      pk.packString(e.getKey());
      Object v = e.getValue();
      if (v instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> sub = (Map<String, Object>) m;
        packTree(pk, sub, maxChunkBytes, intsAsArrays);
      } else if (v instanceof HostArray a) {
        packFloats(pk, a, maxChunkBytes);
      } else if (v instanceof Integer i) {
        if (intsAsArrays) {
          packScalar(pk, FlaxDtype.INT32, i);
        } else {
          pk.packInt(i);
        }
      } else if (v instanceof Long l) {
        if (intsAsArrays) {
          packScalar(pk, FlaxDtype.INT64, l);
        } else {
          pk.packLong(l);
        }
      } else if (v instanceof Double d) {
        pk.packDouble(d);
      } else if (v instanceof Boolean b) {
        pk.packBoolean(b);
      } else if (v instanceof String s) {
        pk.packString(s);
      } else if (v == null) {
        pk.packNil();
      } else {
        throw new IllegalArgumentException(
            e.getKey() + ": unsupported leaf of type " + v.getClass().getName());
      }
    }
  }

  private static void packScalar(MessagePacker pk, FlaxDtype dtype, long value) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(dtype.itemSize).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == FlaxDtype.INT32) {
      b.putInt(Math.toIntExact(value));
    } else {
      b.putLong(value);
    }
    packNdarray(pk, new long[0], dtype, b.array());
  }

  private static void packNdarray(MessagePacker pk, long[] shape, FlaxDtype dtype, byte[] data)
      throws IOException {
    byte[] prefix = ndarrayPrefix(shape, dtype, data.length);
    pk.packExtensionTypeHeader(FlaxMsgpackParser.EXT_NDARRAY, prefix.length + data.length);
    pk.addPayload(prefix);
    pk.addPayload(data);
  }

  /** Writes a float32 array, as chunks when it exceeds {@code maxChunkBytes}. */
  private static void packFloats(MessagePacker pk, HostArray a, long maxChunkBytes)
      throws IOException {
    float[] data = a.data();
    long nbytes = (long) data.length * Float.BYTES;
    if (nbytes <= maxChunkBytes) {
      packFloatRange(pk, a.shape(), data, 0, data.length);
      return;
    }
    // Flax: chunks of max(1, int(MAX_CHUNK_SIZE / itemsize)) elements of the C-order flat array.
    int chunk = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxChunkBytes / Float.BYTES));
    int chunks = (int) ((data.length + (long) chunk - 1) / chunk);
    pk.packMapHeader(3);
    pk.packString(FlaxMsgpackParser.CHUNKED_MARKER);
    pk.packBoolean(true);
    pk.packString("shape");
    long[] shape = a.shape();
    pk.packMapHeader(shape.length);
    for (int i = 0; i < shape.length; i++) {
      pk.packString(Integer.toString(i));
      pk.packLong(shape[i]);
    }
    pk.packString("chunks");
    pk.packMapHeader(chunks);
    for (int c = 0; c < chunks; c++) {
      int from = c * chunk;
      int len = Math.min(chunk, data.length - from);
      pk.packString(Integer.toString(c));
      packFloatRange(pk, new long[] {len}, data, from, len);
    }
  }

  private static void packFloatRange(
      MessagePacker pk, long[] shape, float[] data, int from, int len) throws IOException {
    long nbytes = (long) len * Float.BYTES;
    byte[] prefix = ndarrayPrefix(shape, FlaxDtype.FLOAT32, nbytes);
    pk.packExtensionTypeHeader(
        FlaxMsgpackParser.EXT_NDARRAY, Math.toIntExact(prefix.length + nbytes));
    pk.addPayload(prefix);
    // Streamed through a small buffer: no byte copy of the whole array.
    ByteBuffer b = ByteBuffer.allocate(SCRATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int done = 0; done < len; ) {
      int count = Math.min(len - done, SCRATCH_BYTES / Float.BYTES);
      b.clear();
      b.asFloatBuffer().put(data, from + done, count);
      pk.writePayload(b.array(), 0, count * Float.BYTES);
      done += count;
    }
  }

  /**
   * The ndarray payload up to (and including) the bin header: {@code [shape, dtype, bin-header]}.
   */
  private static byte[] ndarrayPrefix(long[] shape, FlaxDtype dtype, long nbytes)
      throws IOException {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(3);
      p.packArrayHeader(shape.length);
      for (long d : shape) {
        p.packLong(d);
      }
      p.packString(dtype.numpyName);
      p.packBinaryHeader(Math.toIntExact(nbytes));
      return p.toByteArray();
    }
  }

  private static void syncDirectory(Path dir) {
    // Makes the rename durable on POSIX file systems; not possible everywhere, so best effort.
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // The file itself was synced before the rename.
    }
  }

  /** Deletes the oldest {@code checkpoint_<N>} regular files so that {@code keep} remain. */
  private static void prune(Path dir, int keep) throws IOException {
    List<Path> all = Checkpoints.list(dir);
    for (int i = 0; i < all.size() - keep; i++) {
      if (Files.isRegularFile(all.get(i))) {
        Files.deleteIfExists(all.get(i));
      }
    }
  }
}
