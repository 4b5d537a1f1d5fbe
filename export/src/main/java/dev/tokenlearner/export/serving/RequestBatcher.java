package dev.tokenlearner.export.serving;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.savedmodel.ServingModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Merges concurrent requests for the same signature into one session run, as TF Serving's {@code
 * --enable_batching}: callers block while their examples wait in a queue per signature and input
 * shape; a batch thread runs a queue once it holds {@link BatchingOptions#maxBatchSize} examples or
 * its oldest request has waited {@link BatchingOptions#timeout}, and hands every caller its own
 * rows of the outputs.
 *
 * <p>A merged run that fails is run again request by request, so one bad request (e.g. bytes that
 * are no image) fails alone. Requests larger than the max batch size run on their own at once.
 * Thread-safe; {@link #close} runs what is queued, then stops the batch threads.
 */
public final class RequestBatcher implements AutoCloseable {

  private final ServingModel model;
  private final BatchingOptions options;
  private final Object lock = new Object();
  // Queues in order of their oldest request. Guarded by lock.
  private final Map<Key, ArrayDeque<Task>> queues = new LinkedHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private boolean closed;

  /** What may share a run: the signature and the input's per-example shape (or bytes). */
  private record Key(String signature, boolean encoded, List<Long> exampleShape) {}

  /** One caller's request, answered through {@link #result}. */
  private static final class Task {
    final Key key;
    final HostArray images;
    final List<byte[]> encoded;
    final int examples;
    final long arrivalNanos = System.nanoTime();
    final CompletableFuture<Map<String, HostArray>> result = new CompletableFuture<>();

    Task(Key key, HostArray images, List<byte[]> encoded, int examples) {
      this.key = key;
      this.images = images;
      this.encoded = encoded;
      this.examples = examples;
    }
  }

  /**
   * Starts the batch threads.
   *
   * @param model the model every run goes to; stays owned by the caller, close it after this
   * @param options batch size, timeout and threads
   */
  public RequestBatcher(ServingModel model, BatchingOptions options) {
    this.model = Objects.requireNonNull(model, "model");
    this.options = Objects.requireNonNull(options, "options");
    for (int i = 0; i < options.threads(); i++) {
      Thread t = new Thread(this::work, "batch-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /**
   * Runs a float signature as {@link ServingModel#runAll}, merged with concurrent requests.
   *
   * @param signature the signature key
   * @param batch the input, batch first
   * @return this request's outputs, batch first
   * @throws IllegalArgumentException as {@link ServingModel#runAll} for this request alone
   * @throws IllegalStateException if the batcher is closed
   */
  public Map<String, HostArray> runAll(String signature, HostArray batch) {
    long[] shape = batch.shape();
    int n = shape.length == 0 ? 0 : Math.toIntExact(shape[0]);
    if (n == 0 || n > options.maxBatchSize()) {
      return model.runAll(signature, batch);
    }
    List<Long> example = Arrays.stream(shape).skip(1).boxed().toList();
    return submit(new Task(new Key(signature, false, example), batch, null, n));
  }

  /**
   * Runs a string signature as {@link ServingModel#runEncoded}, merged with concurrent requests.
   *
   * @param signature the signature key, e.g. {@code serving_bytes}
   * @param encoded the encoded images ({@code T} per example for video)
   * @return this request's outputs, batch first
   * @throws IllegalArgumentException as {@link ServingModel#runEncoded} for this request alone
   * @throws IllegalStateException if the batcher is closed
   */
  public Map<String, HostArray> runEncoded(String signature, List<byte[]> encoded) {
    int per = framesPerExample(signature);
    if (per <= 0 || encoded.isEmpty() || encoded.size() % per != 0) {
      return model.runEncoded(signature, encoded);
    }
    int n = encoded.size() / per;
    if (n > options.maxBatchSize()) {
      return model.runEncoded(signature, encoded);
    }
    return submit(new Task(new Key(signature, true, List.of()), null, encoded, n));
  }

  /**
   * Returns the session runs of merged batches so far.
   *
   * @return the count; each serves one or more requests
   */
  public long runs() {
    return runs.get();
  }

  /**
   * Returns the requests answered through merged batches so far.
   *
   * @return the count
   */
  public long requests() {
    return requests.get();
  }

  /** Runs what is queued, then stops the batch threads. Closing twice is harmless. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Encoded images per example: {@code T} for {@code [b, T]} inputs, else 1; 0 if unknown. */
  private int framesPerExample(String signature) {
    List<TensorShapeProto.Dim> dims =
        model
            .signatureDef(signature)
            .getInputsMap()
            .values()
            .iterator()
            .next()
            .getTensorShape()
            .getDimList();
    return dims.size() == 2 ? (int) Math.max(0, dims.get(1).getSize()) : 1;
  }

  private Map<String, HostArray> submit(Task task) {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the request batcher has been closed");
      }
      queues.computeIfAbsent(task.key, k -> new ArrayDeque<>()).add(task);
      lock.notifyAll();
    }
    try {
      return task.result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a batch", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private void work() {
    while (true) {
      List<Task> batch;
      synchronized (lock) {
        while (true) {
          batch = takeReady();
          if (batch != null) {
            break;
          }
          if (closed && queues.isEmpty()) {
            return;
          }
          long wait = nanosToNextDeadline();
          try {
            if (wait == Long.MAX_VALUE) {
              lock.wait();
            } else {
              lock.wait(wait / 1_000_000, (int) (wait % 1_000_000));
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
      run(batch);
    }
  }

  /** Takes a full or timed-out batch off a queue, oldest queue first; null if none is ready. */
  private List<Task> takeReady() {
    long now = System.nanoTime();
    long timeout = options.timeout().toNanos();
    for (Iterator<Map.Entry<Key, ArrayDeque<Task>>> it = queues.entrySet().iterator();
        it.hasNext(); ) {
      ArrayDeque<Task> q = it.next().getValue();
      int pending = q.stream().mapToInt(t -> t.examples).sum();
      boolean due = now - q.peekFirst().arrivalNanos >= timeout;
      if (pending < options.maxBatchSize() && !due && !closed) {
        continue;
      }
      List<Task> batch = new ArrayList<>();
      int examples = 0;
      while (!q.isEmpty() && examples + q.peekFirst().examples <= options.maxBatchSize()) {
        Task t = q.pollFirst();
        examples += t.examples;
        batch.add(t);
      }
      if (q.isEmpty()) {
        it.remove();
      }
      return batch;
    }
    return null;
  }

  private long nanosToNextDeadline() {
    long next = Long.MAX_VALUE;
    long now = System.nanoTime();
    for (ArrayDeque<Task> q : queues.values()) {
      long left = q.peekFirst().arrivalNanos + options.timeout().toNanos() - now;
      next = Math.min(next, Math.max(1, left));
    }
    return next;
  }

  /** One merged run; on failure each request runs alone so only a bad one fails. */
  private void run(List<Task> batch) {
    try {
      Map<String, HostArray> outputs = runMerged(batch);
      runs.incrementAndGet();
      requests.addAndGet(batch.size());
      int row = 0;
      for (Task t : batch) {
        Map<String, HostArray> own = new LinkedHashMap<>();
        for (Map.Entry<String, HostArray> e : outputs.entrySet()) {
          own.put(e.getKey(), rows(e.getValue(), row, t.examples));
        }
        row += t.examples;
        t.result.complete(own);
      }
    } catch (RuntimeException | Error e) {
      if (batch.size() == 1) {
        batch.get(0).result.completeExceptionally(e);
        return;
      }
      for (Task t : batch) {
        try {
          t.result.complete(runMerged(List.of(t)));
        } catch (RuntimeException | Error alone) {
          t.result.completeExceptionally(alone);
        }
      }
    }
  }

  private Map<String, HostArray> runMerged(List<Task> batch) {
    Key key = batch.get(0).key;
    if (key.encoded()) {
      List<byte[]> all = new ArrayList<>();
      batch.forEach(t -> all.addAll(t.encoded));
      return model.runEncoded(key.signature(), all);
    }
    if (batch.size() == 1) {
      return model.runAll(key.signature(), batch.get(0).images);
    }
    int total = 0;
    int examples = 0;
    for (Task t : batch) {
      total += t.images.data().length;
      examples += t.examples;
    }
    float[] data = new float[total];
    int at = 0;
    for (Task t : batch) {
      System.arraycopy(t.images.data(), 0, data, at, t.images.data().length);
      at += t.images.data().length;
    }
    long[] shape = batch.get(0).images.shape().clone();
    shape[0] = examples;
    return model.runAll(key.signature(), new HostArray(shape, data));
  }

  /** Rows {@code from .. from + count} of a batch-first array. */
  private static HostArray rows(HostArray a, int from, int count) {
    long[] shape = a.shape().clone();
    int per = shape[0] == 0 ? 0 : a.data().length / Math.toIntExact(shape[0]);
    shape[0] = count;
    return new HostArray(shape, Arrays.copyOfRange(a.data(), from * per, (from + count) * per));
  }
}
