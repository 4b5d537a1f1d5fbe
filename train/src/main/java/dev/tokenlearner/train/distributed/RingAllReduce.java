package dev.tokenlearner.train.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A ring all-reduce of float32 vectors in host memory over TCP, as Horovod's and Gloo's CPU paths
 * do it: each replica sends to the next and receives from the previous one, the vector cut into one
 * segment per replica; a reduce-scatter ({@code n−1} steps, each replica adding the segment it
 * receives into its own) then an all-gather ({@code n−1} steps, copying the reduced segments
 * around). Each replica sends and receives {@code 2(n−1)/n} of the vector, the least any all-reduce
 * can. The segments travel in chunks, and a chunk is forwarded as soon as it has been received and
 * added, so sending and receiving overlap.
 *
 * <p>Why not TensorFlow's collectives: on CPUs their gRPC ring serialises every message into
 * protobuf and copies it several times; on this machine it reached 0.07× one loopback TCP stream.
 * Here a float32 chunk goes from a direct buffer to the socket without a copy.
 *
 * <p>Sums are float32. With {@code bfloat16} the wire carries bfloat16 (half the bytes): partial
 * sums are rounded to bfloat16 before each hop and summed in float32, and each reduced segment is
 * rounded once by its owner before the all-gather, so every replica ends with identical values.
 *
 * <p>Addresses: replica {@code r}'s ring listens on its TensorFlow task's host at the task's port
 * plus {@link #PORT_OFFSET} ({@link #ringAddresses}), on all interfaces, without authentication (as
 * TensorFlow's servers): private networks only. Every blocking wait is bounded: connecting by the
 * startup timeout, each all-reduce by the step timeout; a peer that does not answer in time, or
 * closes its connection, is a {@link RingAllReduceException} naming it.
 */
public final class RingAllReduce implements AutoCloseable {

  /** A replica's ring port is its TensorFlow task's port plus this. */
  public static final int PORT_OFFSET = 1000;

  /** Default bytes of float32 values per chunk. */
  public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

  private static final int MAGIC = 0x544c5247;
  private static final long RETRY_MILLIS = 100;

  /**
   * How the ring connects and moves data.
   *
   * @param startupTimeout how long {@link #connect} waits for its neighbours
   * @param stepTimeout how long one all-reduce may take
   * @param chunkBytes bytes of float32 values per chunk (a multiple of 4)
   * @param bfloat16 send bfloat16, sum in float32
   */
  public record Settings(
      Duration startupTimeout, Duration stepTimeout, int chunkBytes, boolean bfloat16) {

    /** Checks the values. */
    public Settings {
      if (startupTimeout.isNegative() || startupTimeout.isZero()) {
        throw new IllegalArgumentException("startup timeout must be positive");
      }
      if (stepTimeout.isNegative() || stepTimeout.isZero()) {
        throw new IllegalArgumentException("step timeout must be positive");
      }
      if (chunkBytes < Float.BYTES || chunkBytes % Float.BYTES != 0) {
        throw new IllegalArgumentException(
            "ring chunk must be a positive multiple of 4 bytes, got " + chunkBytes);
      }
    }
  }

  private final int rank;
  private final int replicas;
  private final String nextName;
  private final String prevName;
  private final SocketChannel toNext;
  private final SocketChannel fromPrev;
  private final Settings settings;
  private final ExecutorService sender;
  private final ScheduledExecutorService watchdog;
  private final ByteBuffer receiveScratch;
  private final ByteBuffer sendScratch;
  private final float[] incoming;
  private final float[] own;
  private final short[] incomingBits;
  private final float[] outgoing;
  private final short[] outgoingBits;
  private final Object progress = new Object();
  private long received;
  private long calls;
  private volatile boolean failed;
  private boolean wireBfloat16;

  private RingAllReduce(
      int rank,
      List<InetSocketAddress> ring,
      SocketChannel toNext,
      SocketChannel fromPrev,
      Settings settings) {
    this.rank = rank;
    this.replicas = ring.size();
    this.nextName = describe((rank + 1) % replicas, ring);
    this.prevName = describe((rank - 1 + replicas) % replicas, ring);
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.settings = settings;
    this.sender = Executors.newSingleThreadExecutor(daemon("ring-send-" + rank));
    this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("ring-watchdog-" + rank));
    this.receiveScratch =
        ByteBuffer.allocateDirect(settings.chunkBytes()).order(ByteOrder.LITTLE_ENDIAN);
    this.sendScratch =
        ByteBuffer.allocateDirect(settings.chunkBytes() / 2).order(ByteOrder.LITTLE_ENDIAN);
    int chunkFloats = settings.chunkBytes() / Float.BYTES;
    this.incoming = new float[chunkFloats];
    this.own = new float[chunkFloats];
    this.incomingBits = new short[chunkFloats];
    this.outgoing = new float[chunkFloats];
    this.outgoingBits = new short[chunkFloats];
  }

  /**
   * The ring addresses of a cluster's replicas, in rank order: each task's host at its port plus
   * {@link #PORT_OFFSET}.
   *
   * @param cluster the cluster
   * @return one address per replica
   */
  public static List<InetSocketAddress> ringAddresses(ClusterSpec cluster) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String hostPort : cluster.replicaAddresses()) {
      int colon = hostPort.lastIndexOf(':');
      int port = Integer.parseInt(hostPort.substring(colon + 1)) + PORT_OFFSET;
      if (port > 65535) {
        throw new IllegalArgumentException(
            "ring port of task " + hostPort + " (its port + " + PORT_OFFSET + ") exceeds 65535");
      }
      out.add(InetSocketAddress.createUnresolved(hostPort.substring(0, colon), port));
    }
    return out;
  }

  /**
   * Listens on this replica's ring port, connects to the next replica and accepts the previous one,
   * each within the startup timeout.
   *
   * @param ring every replica's ring address, in rank order (at least 2)
   * @param rank this replica
   * @param settings timeouts, chunk size, wire dtype
   * @return the connected ring
   * @throws RingAllReduceException naming the neighbour that did not connect in time
   */
  public static RingAllReduce connect(List<InetSocketAddress> ring, int rank, Settings settings) {
    int n = ring.size();
    if (n < 2 || rank < 0 || rank >= n) {
      throw new IllegalArgumentException("replica " + rank + " of " + n + " cannot form a ring");
    }
    long deadline = System.nanoTime() + settings.startupTimeout().toNanos();
    int prev = (rank - 1 + n) % n;
    int next = (rank + 1) % n;
    SocketChannel out = null;
    SocketChannel in = null;
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(ring.get(rank).getPort()));
      ExecutorService acceptor = Executors.newSingleThreadExecutor(daemon("ring-accept-" + rank));
      try {
        Future<SocketChannel> accepted =
            acceptor.submit(() -> accept(server, deadline, rank, prev, n, ring));
        out = connectTo(resolve(ring.get(next)), deadline, describe(next, ring));
        ByteBuffer hello = ByteBuffer.allocate(12).putInt(MAGIC).putInt(rank).putInt(n).flip();
        while (hello.hasRemaining()) {
          out.write(hello);
        }
        in = accepted.get(remainingMillis(deadline) + 1000, TimeUnit.MILLISECONDS);
      } finally {
        acceptor.shutdownNow();
      }
      return new RingAllReduce(rank, ring, out, in, settings);
    } catch (ExecutionException e) {
      closeQuietly(out);
      throw e.getCause() instanceof RingAllReduceException r
          ? r
          : new RingAllReduceException(
              "replica " + rank + ": accepting " + describe(prev, ring) + " failed", e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      closeQuietly(out);
      throw new RingAllReduceException(
          "replica "
              + rank
              + ": "
              + describe(prev, ring)
              + " did not connect within "
              + settings.startupTimeout().toSeconds()
              + " s",
          e);
    } catch (IOException e) {
      closeQuietly(out);
      throw new RingAllReduceException(
          "replica " + rank + ": cannot listen on ring port " + ring.get(rank).getPort(), e);
    } catch (InterruptedException e) {
      closeQuietly(out);
      Thread.currentThread().interrupt();
      throw new RingAllReduceException("replica " + rank + ": interrupted while connecting", e);
    } catch (RuntimeException e) {
      closeQuietly(out);
      throw e;
    }
  }

  /** This replica's rank. */
  public int rank() {
    return rank;
  }

  /** Number of replicas in the ring. */
  public int replicas() {
    return replicas;
  }

  /**
   * Replaces {@code floats} (little-endian float32 from position 0 to the limit) by its mean over
   * the replicas. Every replica must pass a vector of the same length, in the same call order.
   *
   * @param floats the vector, ideally a direct buffer (sent without a copy)
   * @throws RingAllReduceException naming the peer if a neighbour fails, disagrees or times out
   */
  public void allReduceMean(ByteBuffer floats) {
    allReduce(floats, true, settings.bfloat16());
  }

  /**
   * As {@link #allReduceMean(ByteBuffer)} with the wire dtype of this call given, e.g. float32 for
   * metrics that bfloat16 would round.
   *
   * @param floats the vector
   * @param bfloat16 send bfloat16 and sum in float32; every replica must pass the same value
   */
  public void allReduceMean(ByteBuffer floats, boolean bfloat16) {
    allReduce(floats, true, bfloat16);
  }

  /**
   * Replaces {@code floats} by its sum over the replicas; as {@link #allReduceMean}.
   *
   * @param floats the vector
   */
  public void allReduceSum(ByteBuffer floats) {
    allReduce(floats, false, settings.bfloat16());
  }

  private synchronized void allReduce(ByteBuffer floats, boolean mean, boolean bfloat16) {
    if (failed) {
      throw new RingAllReduceException(
          "replica " + rank + ": the ring failed earlier; restart every task with --resume", null);
    }
    if (floats.order() != ByteOrder.LITTLE_ENDIAN || floats.limit() % Float.BYTES != 0) {
      throw new IllegalArgumentException("the vector must be little-endian whole float32 values");
    }
    ByteBuffer data = floats.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0);
    long call = ++calls;
    // Published to the sender thread by its submit below.
    wireBfloat16 = bfloat16;
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> alarm =
        watchdog.schedule(
            () -> {
              timedOut.set(true);
              closeChannels();
            },
            settings.stepTimeout().toMillis(),
            TimeUnit.MILLISECONDS);
    synchronized (progress) {
      received = 0;
    }
    Future<?> sending =
        sender.submit(
            () -> {
              sendAll(data, call);
              return null;
            });
    try {
      receiveAll(data, call, mean);
      sending.get();
      alarm.cancel(false);
    } catch (ExecutionException e) {
      throw fail(e.getCause(), timedOut.get(), nextName, "sending to");
    } catch (IOException | RuntimeException e) {
      sending.cancel(true);
      throw fail(e, timedOut.get(), prevName, "receiving from");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw fail(e, false, prevName, "waiting for");
    }
  }

  private RingAllReduceException fail(Throwable e, boolean timedOut, String peer, String what) {
    failed = true;
    closeChannels();
    if (e instanceof RingAllReduceException r) {
      return r;
    }
    String why =
        timedOut
            ? "the all-reduce took longer than " + settings.stepTimeout().toSeconds() + " s"
            : e instanceof ClosedChannelException || e instanceof java.io.EOFException
                ? "the connection was closed"
                : String.valueOf(e.getMessage());
    return new RingAllReduceException(
        "replica " + rank + ": " + what + " " + peer + " failed: " + why, e);
  }

  /** The chunks of one phase: segment bounds in floats. */
  private int segmentStart(int segment, int floats) {
    return (int) ((long) floats * segment / replicas);
  }

  private int sendSegment(int phase) {
    // Reduce-scatter step s sends segment r − s; all-gather step s sends r + 1 − s.
    int s = phase < replicas - 1 ? rank - phase : rank + 1 - (phase - (replicas - 1));
    return Math.floorMod(s, replicas);
  }

  private int receiveSegment(int phase) {
    int s = phase < replicas - 1 ? rank - phase - 1 : rank - (phase - (replicas - 1));
    return Math.floorMod(s, replicas);
  }

  private long chunks(int segmentFloats) {
    return ((long) segmentFloats + chunkFloats() - 1) / chunkFloats();
  }

  private int chunkFloats() {
    return settings.chunkBytes() / Float.BYTES;
  }

  private void sendAll(ByteBuffer data, long call) throws IOException, InterruptedException {
    int floats = data.limit() / Float.BYTES;
    ByteBuffer header = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(call).putLong(floats).put((byte) (wireBfloat16 ? 1 : 0)).flip();
    writeFully(header);
    // Index of the previous phase's first received chunk (receives count chunks across phases).
    long previousPhaseStart = 0;
    for (int phase = 0; phase < 2 * (replicas - 1); phase++) {
      int seg = sendSegment(phase);
      int start = segmentStart(seg, floats);
      int end = segmentStart(seg + 1, floats);
      for (int c = start, k = 0; c < end; c += chunkFloats(), k++) {
        if (phase > 0) {
          // This segment was the previous phase's receive: wait for its chunk k.
          awaitReceived(previousPhaseStart + k + 1);
        }
        int len = Math.min(chunkFloats(), end - c);
        ByteBuffer slice = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        slice.limit((c + len) * Float.BYTES).position(c * Float.BYTES);
        if (wireBfloat16) {
          // The owner rounds its reduced segment once, so all replicas end equal.
          boolean own = phase == replicas - 1;
          writeFully(toBfloat16(slice, own));
        } else {
          writeFully(slice);
        }
      }
      if (phase > 0) {
        int done = receiveSegment(phase - 1);
        previousPhaseStart += chunks(segmentStart(done + 1, floats) - segmentStart(done, floats));
      }
    }
  }

  private void receiveAll(ByteBuffer data, long call, boolean mean) throws IOException {
    int floats = data.limit() / Float.BYTES;
    ByteBuffer header = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN);
    readFully(header);
    header.flip();
    long theirCall = header.getLong();
    long theirFloats = header.getLong();
    boolean theirBf16 = header.get() != 0;
    if (theirCall != call || theirFloats != floats || theirBf16 != wireBfloat16) {
      throw new RingAllReduceException(
          String.format(
              "replica %d: %s sent all-reduce #%d of %d %s values, this replica expects #%d of %d"
                  + " %s values (the replicas' graphs or configs differ)",
              rank,
              prevName,
              theirCall,
              theirFloats,
              theirBf16 ? "bfloat16" : "float32",
              call,
              floats,
              wireBfloat16 ? "bfloat16" : "float32"),
          null);
    }
    int wireBytes = wireBfloat16 ? 2 : Float.BYTES;
    for (int phase = 0; phase < 2 * (replicas - 1); phase++) {
      boolean reduce = phase < replicas - 1;
      int seg = receiveSegment(phase);
      int start = segmentStart(seg, floats);
      int end = segmentStart(seg + 1, floats);
      for (int c = start; c < end; c += chunkFloats()) {
        int len = Math.min(chunkFloats(), end - c);
        if (!reduce && !wireBfloat16) {
          ByteBuffer slice = data.duplicate();
          slice.limit((c + len) * Float.BYTES).position(c * Float.BYTES);
          readFully(slice);
        } else {
          ByteBuffer in = receiveScratch.clear().limit(len * wireBytes);
          readFully(in);
          in.flip();
          // Bulk copies through float arrays: element-wise buffer access is several times slower.
          if (wireBfloat16) {
            in.asShortBuffer().get(0, incomingBits, 0, len);
            for (int i = 0; i < len; i++) {
              incoming[i] = Float.intBitsToFloat(incomingBits[i] << 16);
            }
          } else {
            in.asFloatBuffer().get(0, incoming, 0, len);
          }
          FloatBuffer dst = data.asFloatBuffer();
          if (reduce) {
            dst.get(c, own, 0, len);
            // The last reduce-scatter step completes this segment: its owner divides it once.
            boolean divide = mean && phase == replicas - 2;
            float n = replicas;
            for (int i = 0; i < len; i++) {
              own[i] = divide ? (own[i] + incoming[i]) / n : own[i] + incoming[i];
            }
            dst.put(c, own, 0, len);
          } else {
            dst.put(c, incoming, 0, len);
          }
        }
        synchronized (progress) {
          received++;
          progress.notifyAll();
        }
      }
    }
  }

  private void awaitReceived(long chunks) throws InterruptedException {
    synchronized (progress) {
      while (received < chunks) {
        progress.wait();
      }
    }
  }

  /** The slice as bfloat16 (round to nearest even) in the send scratch; optionally in place too. */
  private ByteBuffer toBfloat16(ByteBuffer slice, boolean roundInPlace) {
    FloatBuffer src = slice.asFloatBuffer();
    int len = src.limit();
    src.get(0, outgoing, 0, len);
    for (int i = 0; i < len; i++) {
      outgoingBits[i] = bfloat16Bits(outgoing[i]);
      outgoing[i] = Float.intBitsToFloat(outgoingBits[i] << 16);
    }
    if (roundInPlace) {
      src.put(0, outgoing, 0, len);
    }
    ByteBuffer out = sendScratch.clear().limit(len * 2);
    out.asShortBuffer().put(0, outgoingBits, 0, len);
    return out;
  }

  /** bfloat16 bits of {@code f}, rounded to nearest even (NaN stays NaN). */
  static short bfloat16Bits(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      toNext.write(b);
    }
  }

  private void readFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (fromPrev.read(b) < 0) {
        throw new java.io.EOFException(prevName + " closed the connection");
      }
    }
  }

  private void closeChannels() {
    closeQuietly(toNext);
    closeQuietly(fromPrev);
  }

  @Override
  public void close() {
    closeChannels();
    sender.shutdownNow();
    watchdog.shutdownNow();
  }

  private static SocketChannel accept(
      ServerSocketChannel server,
      long deadline,
      int rank,
      int prev,
      int n,
      List<InetSocketAddress> ring)
      throws IOException {
    server.configureBlocking(false);
    try (Selector selector = Selector.open()) {
      server.register(selector, SelectionKey.OP_ACCEPT);
      while (true) {
        long wait = remainingMillis(deadline);
        if (wait <= 0) {
          throw new RingAllReduceException(
              "replica " + rank + ": " + describe(prev, ring) + " did not connect in time", null);
        }
        selector.select(wait);
        SocketChannel c = server.accept();
        if (c == null) {
          continue;
        }
        c.configureBlocking(true);
        tune(c);
        ByteBuffer hello = ByteBuffer.allocate(12);
        c.socket().setSoTimeout((int) Math.max(1, remainingMillis(deadline)));
        // A blocking channel ignores SO_TIMEOUT; the hello is 12 bytes sent right after connect.
        while (hello.hasRemaining()) {
          if (c.read(hello) < 0) {
            break;
          }
        }
        hello.flip();
        if (hello.remaining() == 12 && hello.getInt() == MAGIC) {
          int theirRank = hello.getInt();
          int theirN = hello.getInt();
          if (theirRank == prev && theirN == n) {
            return c;
          }
          c.close();
          throw new RingAllReduceException(
              String.format(
                  "replica %d: expected %s, got a connection from replica %d of %d (the replicas'"
                      + " cluster specs differ)",
                  rank, describe(prev, ring), theirRank, theirN),
              null);
        }
        c.close(); // not a ring peer (a port scan): keep waiting
      }
    }
  }

  private static SocketChannel connectTo(InetSocketAddress to, long deadline, String name) {
    IOException last = null;
    while (remainingMillis(deadline) > 0) {
      SocketChannel c = null;
      try {
        c = SocketChannel.open();
        tune(c);
        c.socket().connect(to, (int) Math.max(1, Math.min(5000, remainingMillis(deadline))));
        return c;
      } catch (IOException e) {
        closeQuietly(c);
        last = e;
        try {
          Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new RingAllReduceException("interrupted while connecting to " + name, ie);
        }
      }
    }
    throw new RingAllReduceException("cannot connect to " + name + " in time", last);
  }

  private static void tune(SocketChannel c) throws IOException {
    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
    // Socket buffers stay with the kernel's autotuning: a fixed size is capped by net.core.rmem_max
    // (208 KiB on many hosts) and switches autotuning off; on loopback here it was no faster.
  }

  private static InetSocketAddress resolve(InetSocketAddress a) {
    return a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
  }

  private static long remainingMillis(long deadline) {
    return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
  }

  private static String describe(int rank, List<InetSocketAddress> ring) {
    InetSocketAddress a = ring.get(rank);
    return "replica " + rank + " (" + a.getHostString() + ":" + a.getPort() + ")";
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException e) {
      // closing a broken connection: nothing left to do
    }
  }
}
