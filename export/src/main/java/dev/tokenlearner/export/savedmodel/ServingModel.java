package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * An exported model loaded for inference: runs a signature on a host batch and returns host arrays,
 * splitting batches larger than the chunk size into several runs.
 *
 * <p>Works on any SavedModel whose signatures take and return float32 tensors ({@link #runEncoded}
 * feeds string signatures such as {@code serving_bytes}); the stored config ({@link #metadata()})
 * is present for models written by {@link SavedModelExporter}.
 *
 * <pre>{@code
 * try (ServingModel m = ServingModel.load(dir)) {
 *   HostArray logits = m.run(Signatures.SERVING_DEFAULT, images);
 * }
 * }</pre>
 *
 * <p>{@link #load(Path, int, boolean)} can run the signatures XLA-compiled (what {@code
 * TokenLearnerPredictor} does by default): the first call of each batch shape pays TensorFlow's
 * compilation, later ones run the compiled code. {@link #load(Path)} runs the plain graph.
 *
 * <p><b>Thread safety.</b> One loaded model may be shared by any number of threads: {@link #run},
 * {@link #runAll}, {@link #runEncoded}, {@link #inputShape}, {@link #signatures} and the accessors
 * may be called concurrently, and give the same results as the same calls made one after another
 * (TensorFlow sessions run concurrently; each call feeds and fetches its own tensors and closes
 * them before it returns). Calls do not block each other except through TensorFlow's own thread
 * pools, so there is no need for a pool of models. {@link #close} waits for calls in progress to
 * finish and frees the native session and graph; calls after it throw {@link
 * IllegalStateException}, and closing twice is harmless. Callers must not change a batch's array
 * while a call reads it.
 */
public final class ServingModel implements AutoCloseable {

  /** Examples per session run unless {@link #load(Path, int)} says otherwise. */
  public static final int CHUNK_SIZE_DEFAULT = 32;

  private final Path directory;
  private final SavedModelBundle bundle;
  private final Optional<ModelMetadata> metadata;
  private final int chunkSize;
  // Immutable protos, read once: calls never touch the bundle's MetaGraphDef.
  private final Map<String, SignatureDef> signatureDefs;
  // Compiled calls of the signatures (XLA), or empty when the model runs its plain graph.
  private final Optional<CompiledSignatures> compiled;
  // Batch sizes each compiled signature has run at: later chunks pad to one of them if they can.
  private final Map<String, NavigableSet<Integer>> compiledSizes = new ConcurrentHashMap<>();
  // Runs hold the read lock, close the write lock: the session is never freed under a run.
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private ServingModel(
      Path directory,
      SavedModelBundle bundle,
      Optional<ModelMetadata> metadata,
      int chunkSize,
      boolean xla) {
    this.directory = directory;
    this.bundle = bundle;
    this.metadata = metadata;
    this.chunkSize = chunkSize;
    this.signatureDefs = Map.copyOf(bundle.metaGraphDef().getSignatureDefMap());
    this.compiled =
        xla ? Optional.of(CompiledSignatures.add(bundle.graph(), signatureDefs)) : Optional.empty();
  }

  /**
   * Loads a model with tag {@code serve} and the default chunk size, to run its plain graph.
   *
   * @param dir the SavedModel directory
   * @return the model; close it
   * @throws IOException if the directory holds no SavedModel or its stored config is corrupt
   */
  public static ServingModel load(Path dir) throws IOException {
    return load(dir, CHUNK_SIZE_DEFAULT);
  }

  /**
   * Loads a model with tag {@code serve}.
   *
   * @param dir the SavedModel directory
   * @param chunkSize the most examples fed per session run
   * @return the model; close it
   * @throws IOException if the directory holds no SavedModel or its stored config is corrupt
   * @throws IllegalArgumentException if {@code chunkSize} is not positive
   */
  public static ServingModel load(Path dir, int chunkSize) throws IOException {
    return load(dir, chunkSize, false);
  }

  /**
   * Loads a model with tag {@code serve}, its forward pass compiled by XLA or not.
   *
   * <p>With {@code xla}, each signature runs as one XLA computation ({@link CompiledSignatures}):
   * TensorFlow compiles it on the first run of each batch shape, so chunks are padded to a few
   * shapes ({@link #paddedSize}) and the padding rows are dropped from the outputs.
   *
   * @param dir the SavedModel directory
   * @param chunkSize the most examples fed per session run
   * @param xla whether to run the signatures XLA-compiled
   * @return the model; close it
   * @throws IOException if the directory holds no SavedModel or its stored config is corrupt
   * @throws IllegalArgumentException if {@code chunkSize} is not positive
   */
  public static ServingModel load(Path dir, int chunkSize, boolean xla) throws IOException {
    if (chunkSize <= 0) {
      throw new InvalidInputException("chunk size must be positive, got " + chunkSize);
    }
    Path abs = dir.toAbsolutePath().normalize();
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))
        && !(abs.getParent() != null
            && StagedDirectory.recover(abs)
            && Files.isRegularFile(dir.resolve("saved_model.pb")))) {
      if (!Files.exists(dir)) {
        throw new NoSuchFileException(dir.toString(), null, "no such SavedModel directory");
      }
      throw new IOException(dir + ": no saved_model.pb");
    }
    Optional<ModelMetadata> meta =
        Files.exists(dir.resolve(Signatures.ASSETS_EXTRA).resolve(Signatures.CONFIG_FILE))
            ? Optional.of(ModelMetadata.read(dir))
            : Optional.empty();
    SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), Signatures.TAG);
    try {
      return new ServingModel(dir, bundle, meta, chunkSize, xla);
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /**
   * Returns the stored config.
   *
   * @return the metadata, empty for SavedModels not written by this toolkit
   */
  public Optional<ModelMetadata> metadata() {
    return metadata;
  }

  /**
   * Whether the signatures run XLA-compiled.
   *
   * @return true if loaded with XLA and at least one signature compiled
   */
  public boolean compiled() {
    return compiled.isPresent() && compiled.get().skipped().size() < signatureDefs.size();
  }

  /**
   * The signatures left as plain graphs although XLA was asked for, with the reason.
   *
   * @return signature key to reason; empty without XLA or when every signature compiled
   */
  public Map<String, String> uncompiledSignatures() {
    return compiled.map(CompiledSignatures::skipped).orElse(Map.of());
  }

  /** An op of the loaded graph, for tests; null if absent. */
  GraphOperation bundleGraphOperation(String name) {
    return bundle.graph().operation(name);
  }

  /**
   * Returns the directory the model was loaded from.
   *
   * @return the directory
   */
  public Path directory() {
    return directory;
  }

  /**
   * Returns the signature keys.
   *
   * @return the keys, sorted
   */
  public List<String> signatures() {
    return signatureDefs.keySet().stream().sorted().toList();
  }

  /**
   * Returns a signature's definition as stored in the SavedModel.
   *
   * @param signature the signature key
   * @return the immutable proto: inputs and outputs with dtype, shape and tensor name
   * @throws IllegalArgumentException if the signature does not exist
   */
  public SignatureDef signatureDef(String signature) {
    return signature(signature);
  }

  /**
   * Returns the input shape a signature declares, {@code -1} for unknown dimensions.
   *
   * @param signature the signature key
   * @return e.g. {@code [-1, 224, 224, 3]}
   * @throws IllegalArgumentException if the signature does not exist or has not exactly one input
   */
  public long[] inputShape(String signature) {
    return dims(singleInput(signature(signature), signature).getValue());
  }

  /**
   * Runs a signature with one input and one output.
   *
   * @param signature the signature key, e.g. {@code serving_default}
   * @param batch the input, batch first
   * @return the output, batch first
   * @throws IllegalArgumentException if the signature is unknown or the batch does not fit its
   *     input shape
   */
  public HostArray run(String signature, HostArray batch) {
    Map<String, HostArray> out = runAll(signature, batch);
    if (out.size() != 1) {
      throw new InvalidInputException(
          "signature '" + signature + "' has outputs " + out.keySet() + "; use runAll");
    }
    return out.values().iterator().next();
  }

  /**
   * Runs a signature with one input and returns all its outputs, running at most the chunk size of
   * examples per session run.
   *
   * @param signature the signature key
   * @param batch the input, batch first
   * @return outputs by output key, each batch first
   * @throws IllegalArgumentException if the signature is unknown or the batch does not fit its
   *     input shape
   * @throws IllegalStateException if the model has been closed
   */
  public Map<String, HostArray> runAll(String signature, HostArray batch) {
    Lock lock = lifecycle.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("model " + directory + " has been closed");
      }
      return runOpen(signature, batch);
    } finally {
      lock.unlock();
    }
  }

  private Map<String, HostArray> runOpen(String signature, HostArray batch) {
    SignatureDef def = signature(signature);
    Map.Entry<String, TensorInfo> input = singleInput(def, signature);
    if (input.getValue().getDtype() != DataType.DT_FLOAT) {
      throw new InvalidInputException(
          "signature '"
              + signature
              + "' takes "
              + input.getValue().getDtype()
              + " "
              + input.getKey()
              + ", not float32: it takes encoded image files, not a float array");
    }
    long[] declared = dims(input.getValue());
    long[] shape = batch.shape();
    if (shape.length != declared.length) {
      throw new InvalidInputException(
          "signature '"
              + signature
              + "' takes "
              + input.getKey()
              + " "
              + Arrays.toString(declared)
              + ", got "
              + batch.shapeString());
    }
    for (int i = 0; i < shape.length; i++) {
      if (declared[i] >= 0 && declared[i] != shape[i]) {
        throw new InvalidInputException(
            "signature '"
                + signature
                + "' takes "
                + input.getKey()
                + " "
                + Arrays.toString(declared)
                + ", got "
                + batch.shapeString()
                + channelHint(declared, shape, i));
      }
    }
    List<String> keys = new ArrayList<>(def.getOutputsMap().keySet());
    keys.sort(null);
    for (String k : keys) {
      if (def.getOutputsMap().get(k).getDtype() != DataType.DT_FLOAT) {
        throw new InvalidInputException("output '" + k + "' of '" + signature + "' is not float32");
      }
    }
    int n = Math.toIntExact(shape[0]);
    int perExample = n == 0 ? 0 : batch.data().length / n;
    // One run even for an empty batch, so its outputs have their shapes.
    return runChunks(
        signature,
        def,
        input.getValue().getName(),
        keys,
        Math.max(n, 1),
        n,
        (from, count) -> {
          long[] chunkShape = shape.clone();
          chunkShape[0] = count;
          // Rows past the batch's end (padding) are zeros.
          float[] chunk =
              Arrays.copyOfRange(batch.data(), from * perExample, (from + count) * perExample);
          return TFloat32.tensorOf(Shape.of(chunkShape), DataBuffers.of(chunk, true, false));
        });
  }

  /** Waits for calls in progress, then frees the session and graph; later calls throw. */
  @Override
  public void close() {
    Lock lock = lifecycle.writeLock();
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        bundle.close();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The likely cause when only the channel count differs: grey-scale data for an RGB model. */
  private static String channelHint(long[] declared, long[] shape, int axis) {
    if (axis == shape.length - 1 && shape.length >= 4 && declared[axis] == 3 && shape[axis] == 1) {
      return "; this is grey-scale data and the model takes 3 channels (RGB): repeat the channel"
          + " three times, or pass the image files, which are converted to RGB";
    }
    return "";
  }

  private SignatureDef signature(String key) {
    SignatureDef def = signatureDefs.get(key);
    if (def == null) {
      throw new InvalidInputException(
          "model " + directory + " has no signature '" + key + "'; it has " + signatures());
    }
    return def;
  }

  private static Map.Entry<String, TensorInfo> singleInput(SignatureDef def, String key) {
    if (def.getInputsCount() != 1) {
      throw new InvalidInputException(
          "signature '" + key + "' has inputs " + def.getInputsMap().keySet() + ", expected one");
    }
    return def.getInputsMap().entrySet().iterator().next();
  }

  private static long[] dims(TensorInfo info) {
    TensorShapeProto s = info.getTensorShape();
    return s.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
  }

  private static HostArray toHost(TFloat32 t) {
    long[] shape = t.shape().asArray();
    float[] data = new float[Math.toIntExact(t.shape().size())];
    t.copyTo(DataBuffers.of(data, false, false));
    return new HostArray(shape, data);
  }

  /**
   * The batch size a compiled chunk of {@code count} examples runs at. XLA compiles once per shape,
   * so a chunk pads to the smallest size already run that holds it (a last partial batch reuses the
   * full batches' compilation), else to the next power of two up to the chunk size: at most {@code
   * log2(chunkSize) + 2} shapes are ever compiled.
   *
   * @param count the examples in the chunk, at least 1
   * @param done the sizes already run
   * @param chunkSize the most examples per run
   * @return the rows to feed, at least {@code count}
   */
  static int paddedSize(int count, NavigableSet<Integer> done, int chunkSize) {
    Integer seen = done.ceiling(count);
    if (seen != null) {
      return seen;
    }
    int pow2 = Integer.highestOneBit(count);
    return Math.min(pow2 == count ? count : pow2 * 2, chunkSize);
  }

  /** The first {@code rows} rows of {@code a} (drops padding). */
  private static HostArray firstRows(HostArray a, int rows) {
    if (a.shape().length == 0 || a.shape()[0] == rows) {
      return a;
    }
    long[] shape = a.shape().clone();
    int per = shape[0] == 0 ? 0 : Math.toIntExact(a.data().length / shape[0]);
    shape[0] = rows;
    return new HostArray(shape, Arrays.copyOf(a.data(), rows * per));
  }

  /** Concatenates arrays along axis 0. */
  static HostArray concat(List<HostArray> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    long[] shape = parts.get(0).shape().clone();
    long rows = 0;
    int total = 0;
    for (HostArray p : parts) {
      rows += p.shape()[0];
      total += p.data().length;
    }
    float[] data = new float[total];
    int at = 0;
    for (HostArray p : parts) {
      System.arraycopy(p.data(), 0, data, at, p.data().length);
      at += p.data().length;
    }
    shape[0] = rows;
    return new HostArray(shape, data);
  }

  /**
   * Runs a signature whose one input is a string tensor of encoded images ({@code serving_bytes}),
   * at most the chunk size of examples per session run.
   *
   * @param signature the signature key, e.g. {@code serving_bytes}
   * @param encoded the encoded images: one per example for {@code [b]} inputs, or {@code T} per
   *     example, example after example, for {@code [b, T]} inputs
   * @return outputs by output key, each batch first
   * @throws IllegalArgumentException if the signature is unknown, does not take strings, or the
   *     count is not a multiple of the frames per example
   * @throws IllegalStateException if the model has been closed
   */
  public Map<String, HostArray> runEncoded(String signature, List<byte[]> encoded) {
    Lock lock = lifecycle.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("model " + directory + " has been closed");
      }
      return runEncodedOpen(signature, encoded);
    } finally {
      lock.unlock();
    }
  }

  private Map<String, HostArray> runEncodedOpen(String signature, List<byte[]> encoded) {
    SignatureDef def = signature(signature);
    Map.Entry<String, TensorInfo> input = singleInput(def, signature);
    if (input.getValue().getDtype() != DataType.DT_STRING) {
      throw new InvalidInputException(
          "signature '" + signature + "' takes " + input.getValue().getDtype() + ", not strings");
    }
    if (encoded.isEmpty()) {
      throw new InvalidInputException("signature '" + signature + "': no encoded images given");
    }
    long[] declared = dims(input.getValue());
    int per = declared.length == 2 ? Math.toIntExact(declared[1]) : 1;
    if (declared.length > 2 || per <= 0 || encoded.size() % per != 0) {
      throw new InvalidInputException(
          "signature '"
              + signature
              + "' takes "
              + input.getKey()
              + " "
              + Arrays.toString(declared)
              + "; got "
              + encoded.size()
              + " encoded images");
    }
    List<String> keys = new ArrayList<>(def.getOutputsMap().keySet());
    keys.sort(null);
    int n = encoded.size() / per;
    return runChunks(
        signature,
        def,
        input.getValue().getName(),
        keys,
        n,
        n,
        (from, count) -> {
          Shape shape = declared.length == 2 ? Shape.of(count, per) : Shape.of(count);
          NdArray<byte[]> chunk = NdArrays.ofObjects(byte[].class, shape);
          // Padding examples repeat the chunk's real ones (they must decode); never past the end.
          int real = Math.min(count, n - from) * per;
          for (int i = 0; i < count * per; i++) {
            long[] at = declared.length == 2 ? new long[] {i / per, i % per} : new long[] {i};
            chunk.setObject(encoded.get(from * per + i % real), at);
          }
          return TString.tensorOfBytes(chunk);
        });
  }

  /** Builds the input tensor of one chunk of a batch. */
  @FunctionalInterface
  private interface ChunkInput {
    Tensor tensor(int from, int count);
  }

  /**
   * Runs a signature chunk by chunk ({@link #CHUNK_SIZE_DEFAULT} examples by default, so memory
   * stays bounded for large batches) and concatenates each output along the batch.
   *
   * @param signature the signature key (its compiled call, if any, runs)
   * @param def the signature
   * @param inputName the tensor name of its one input
   * @param keys the outputs to fetch, in order
   * @param end runs start at 0, 0 + chunk size, ... below this
   * @param n the number of examples (a chunk holds at most {@code n - from})
   * @param input the input tensor of each chunk; closed here
   * @return each output, concatenated
   */
  private Map<String, HostArray> runChunks(
      String signature,
      SignatureDef def,
      String inputName,
      List<String> keys,
      int end,
      int n,
      ChunkInput input) {
    Map<String, List<HostArray>> parts = new LinkedHashMap<>();
    keys.forEach(k -> parts.put(k, new ArrayList<>()));
    // An empty batch runs the plain graph: a zero-row shape is not worth an XLA compilation.
    Optional<Map<String, Output<?>>> xla =
        n == 0 ? Optional.empty() : compiled.flatMap(c -> c.outputs(signature));
    for (int from = 0; from < end; from += chunkSize) {
      int count = Math.min(chunkSize, n - from);
      int fed = count;
      if (xla.isPresent()) {
        NavigableSet<Integer> sizes =
            compiledSizes.computeIfAbsent(signature, k -> new ConcurrentSkipListSet<>());
        fed = paddedSize(count, sizes, chunkSize);
        sizes.add(fed);
      }
      Session.Runner runner = bundle.session().runner();
      try (Tensor in = input.tensor(from, fed)) {
        runner.feed(inputName, in);
        for (String k : keys) {
          if (xla.isPresent()) {
            runner.fetch(xla.get().get(k));
          } else {
            runner.fetch(def.getOutputsMap().get(k).getName());
          }
        }
        try (Result result = runner.run()) {
          for (int i = 0; i < keys.size(); i++) {
            parts.get(keys.get(i)).add(firstRows(toHost((TFloat32) result.get(i)), count));
          }
        }
      }
    }
    Map<String, HostArray> out = new LinkedHashMap<>();
    parts.forEach((k, v) -> out.put(k, concat(v)));
    return out;
  }

  /**
   * Describes a signature's inputs.
   *
   * @param signature the signature key
   * @return input key to dtype and shape, e.g. {@code image_bytes -> "DT_STRING [-1]"}
   * @throws IllegalArgumentException if the signature does not exist
   */
  public Map<String, String> signatureInputs(String signature) {
    return describe(signature(signature).getInputsMap());
  }

  /**
   * Describes a signature's outputs.
   *
   * @param signature the signature key
   * @return output key to dtype and shape, e.g. {@code logits -> "DT_FLOAT [-1, 1000]"}
   * @throws IllegalArgumentException if the signature does not exist
   */
  public Map<String, String> signatureOutputs(String signature) {
    return describe(signature(signature).getOutputsMap());
  }

  private static Map<String, String> describe(Map<String, TensorInfo> infos) {
    Map<String, String> out = new java.util.TreeMap<>();
    infos.forEach((k, v) -> out.put(k, v.getDtype() + " " + Arrays.toString(dims(v))));
    return out;
  }
}
