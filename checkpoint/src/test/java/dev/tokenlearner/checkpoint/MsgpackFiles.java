package dev.tokenlearner.checkpoint;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Builds small Flax-style msgpack files for tests directly with msgpack-core, independent of the
 * writer under test.
 */
final class MsgpackFiles {

  private MsgpackFiles() {}

  /** An ndarray leaf with explicit dtype and raw little-endian bytes. */
  record Nd(long[] shape, String dtype, byte[] data, byte extType) {
    Nd(long[] shape, String dtype, byte[] data) {
      this(shape, dtype, data, (byte) 1);
    }

    /** The same value as a numpy scalar (extension type 3). */
    Nd scalar() {
      return new Nd(shape, dtype, data, (byte) 3);
    }
  }

  /** An extension header claiming {@code length} bytes followed by only {@code actual} bytes. */
  record BadExt(int length, byte[] actual) {}

  /** A map from alternating keys and values, in that order. */
  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static byte[] le(long v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
  }

  static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  static void write(Path file, Object tree) throws IOException {
    try (OutputStream out = Files.newOutputStream(file);
        MessagePacker pk = MessagePack.newDefaultPacker(out)) {
      pack(pk, tree);
    }
  }

  private static void pack(MessagePacker pk, Object v) throws IOException {
    if (v instanceof Map<?, ?> m) {
      pk.packMapHeader(m.size());
      for (Map.Entry<?, ?> e : m.entrySet()) {
        pk.packString((String) e.getKey());
        pack(pk, e.getValue());
      }
    } else if (v instanceof Long l) {
      pk.packLong(l);
    } else if (v instanceof Double d) {
      pk.packDouble(d);
    } else if (v instanceof String s) {
      pk.packString(s);
    } else if (v instanceof HostArray a) {
      ByteBuffer b = ByteBuffer.allocate(a.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(a.data());
      pack(pk, new Nd(a.shape(), "float32", b.array()));
    } else if (v instanceof Nd nd) {
      byte[] payload;
      try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
        p.packArrayHeader(3);
        p.packArrayHeader(nd.shape().length);
        for (long d : nd.shape()) {
          p.packLong(d);
        }
        p.packString(nd.dtype());
        p.packBinaryHeader(nd.data().length);
        p.writePayload(nd.data());
        payload = p.toByteArray();
      }
      pk.packExtensionTypeHeader(nd.extType(), payload.length);
      pk.writePayload(payload);
    } else if (v instanceof BadExt bad) {
      pk.packExtensionTypeHeader((byte) 1, bad.length());
      pk.writePayload(bad.actual());
    } else if (v == null) {
      pk.packNil();
    } else {
      throw new IllegalArgumentException("unsupported test value " + v);
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("not found");
  }

  /** Byte offset of the first extension value encoded with {@code format}, found by a full walk. */
  static int firstExtension(byte[] file, MessageFormat format) throws IOException {
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(file)) {
      int at = walk(u, format);
      if (at < 0) {
        throw new IllegalStateException("no " + format + " extension in file");
      }
      return at;
    }
  }

  private static int walk(MessageUnpacker u, MessageFormat format) throws IOException {
    MessageFormat f = u.getNextFormat();
    long at = u.getTotalReadBytes();
    ValueType t = f.getValueType();
    if (t == ValueType.MAP) {
      int n = u.unpackMapHeader();
      for (int i = 0; i < 2 * n; i++) {
        int found = walk(u, format);
        if (found >= 0) {
          return found;
        }
      }
      return -1;
    }
    if (t == ValueType.EXTENSION && f == format) {
      return (int) at;
    }
    u.skipValue();
    return -1;
  }
}
