package dev.tokenlearner.graph;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.ops.ComputeDtype;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.ops.PathScope;
import java.util.Objects;
import java.util.Optional;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * A {@link TokenLearnerViT} in its own {@link Graph}: the {@code images} placeholder, the
 * parameters and the model's outputs, built once for a config, a mode and a batch size. Trainer,
 * evaluation, exporter, benchmark and {@code inspect} all build the model through here.
 *
 * <p>A training-mode graph also has the {@code rng_key} placeholder ({@code int64 [2]}, {@code
 * [seed, step]}) from which dropout masks are derived. {@link #inferenceTower} applies the same
 * model a second time in inference mode on the same variables, e.g. to evaluate while training
 * without copying weights.
 *
 * <p>A graph built with a pixel input also has the {@code pixels} placeholder (uint8, the shape of
 * {@code images}); {@code images} is then a {@code PlaceholderWithDefault} whose default is {@code
 * pixels} normalised on the model's device ({@link EvalPreprocessing#normalize}), so a run feeds
 * either uint8 pixels or float32 images. An {@link InputTransform} (e.g. mixup) sits between {@code
 * images} and the model.
 *
 * <p>Closing it closes the graph; sessions on it must be closed first.
 */
public final class ModelGraph implements AutoCloseable {

  /** Name of the image placeholder. */
  public static final String IMAGES = "images";

  /** Name of the uint8 pixel placeholder of a graph built with a pixel input. */
  public static final String PIXELS = "pixels";

  /** Name of the dropout key placeholder of a training graph. */
  public static final String RNG_KEY = "rng_key";

  private final Graph graph;
  private final Ops tf;
  private final ParameterStore store;
  private final ModelConfig model;
  private final InputSpec input;
  private final Mode mode;
  private final ComputeDtype dtype;
  private final Operand<TFloat32> images;
  private final Optional<Placeholder<TUint8>> pixels;
  private final Optional<Placeholder<TInt64>> rngKey;
  private final ModelOutputs outputs;

  private ModelGraph(
      Graph graph,
      Ops tf,
      ParameterStore store,
      ModelConfig model,
      InputSpec input,
      Mode mode,
      ComputeDtype dtype,
      Operand<TFloat32> images,
      Optional<Placeholder<TUint8>> pixels,
      Optional<Placeholder<TInt64>> rngKey,
      ModelOutputs outputs) {
    this.graph = graph;
    this.tf = tf;
    this.store = store;
    this.model = model;
    this.input = input;
    this.mode = mode;
    this.dtype = dtype;
    this.images = images;
    this.pixels = pixels;
    this.rngKey = rngKey;
    this.outputs = outputs;
  }

  /**
   * Builds the model of {@code config}, computing in float32 whatever its {@code model_dtype_str}
   * (exported and inspected models are float32; the trainer asks for the compute dtype).
   *
   * @param config the experiment (model, input shape, classes)
   * @param mode inference or training (dropout, stochastic depth)
   * @param batch the static batch size, or -1 for any
   */
  public static ModelGraph build(ExperimentConfig config, Mode mode, int batch) {
    return build(config.model(), config.input(), mode, batch, Optional.empty());
  }

  /**
   * Builds a model.
   *
   * @param model the architecture
   * @param input image size, frames and classes
   * @param mode inference or training
   * @param batch the static batch size, or -1 for any
   * @param device where the model's ops go (e.g. {@code /device:GPU:0}); empty: TF places them
   */
  public static ModelGraph build(
      ModelConfig model, InputSpec input, Mode mode, int batch, Optional<DeviceSpec> device) {
    return build(model, input, mode, batch, device, ComputeDtype.FLOAT32);
  }

  /**
   * Builds a model that computes in {@code dtype} on float32 parameters ({@link
   * TokenLearnerViT#build(ModuleScope, ModelConfig, int, Operand, Mode, ComputeDtype)}); images and
   * outputs are float32 whatever the dtype.
   *
   * @param model the architecture
   * @param input image size, frames and classes
   * @param mode inference or training
   * @param batch the static batch size, or -1 for any
   * @param device where the model's ops go; empty: TF places them
   * @param dtype the compute dtype (Scenic's {@code model_dtype_str})
   */
  public static ModelGraph build(
      ModelConfig model,
      InputSpec input,
      Mode mode,
      int batch,
      Optional<DeviceSpec> device,
      ComputeDtype dtype) {
    return build(model, input, mode, batch, device, Optional.empty(), InputTransform.NONE, dtype);
  }

  /**
   * Ops between the fed images and the model, built on the model's device.
   *
   * <p>{@link #NONE} leaves the images as they are; a training graph uses it for mixup.
   */
  @FunctionalInterface
  public interface InputTransform {
    /** The identity. */
    InputTransform NONE = (tf, images) -> images;

    /**
     * Builds the model's input from the images.
     *
     * @param tf where to build (the model's device)
     * @param images {@code [b, H, W, C]} (or with frames) float32 model inputs
     * @return the tensor the model consumes, same shape
     */
    Operand<TFloat32> apply(Ops tf, Operand<TFloat32> images);
  }

  /**
   * Builds a model with an optional uint8 pixel input and an input transform, computing in float32.
   *
   * @param model the architecture
   * @param input image size, frames and classes
   * @param mode inference or training
   * @param batch the static batch size, or -1 for any
   * @param device where the model's ops go; empty: TF places them
   * @param pixels with a normalisation: add the {@value #PIXELS} placeholder, normalised with it
   *     into the default of {@code images}
   * @param transform applied to {@code images} before the model
   */
  public static ModelGraph build(
      ModelConfig model,
      InputSpec input,
      Mode mode,
      int batch,
      Optional<DeviceSpec> device,
      Optional<Normalization> pixels,
      InputTransform transform) {
    return build(model, input, mode, batch, device, pixels, transform, ComputeDtype.FLOAT32);
  }

  /**
   * Builds a model with an optional uint8 pixel input and an input transform, computing in {@code
   * dtype} on float32 parameters; images and outputs are float32 whatever the dtype.
   *
   * @param model the architecture
   * @param input image size, frames and classes
   * @param mode inference or training
   * @param batch the static batch size, or -1 for any
   * @param device where the model's ops go; empty: TF places them
   * @param pixels with a normalisation: add the {@value #PIXELS} placeholder, normalised with it
   *     into the default of {@code images}
   * @param transform applied to {@code images} before the model
   * @param dtype the compute dtype (Scenic's {@code model_dtype_str})
   */
  public static ModelGraph build(
      ModelConfig model,
      InputSpec input,
      Mode mode,
      int batch,
      Optional<DeviceSpec> device,
      Optional<Normalization> pixels,
      InputTransform transform,
      ComputeDtype dtype) {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(transform, "transform");
    Objects.requireNonNull(dtype, "dtype");
    if (batch == 0 || batch < -1) {
      throw new IllegalArgumentException("batch must be positive or -1, got " + batch);
    }
    Graph graph = new Graph();
    try {
      Ops root = PathScope.create(graph);
      Ops tf = device.map(root::withDevice).orElse(root);
      Shape shape = Shape.of(input.shape(batch));
      Optional<Placeholder<TUint8>> pixelInput =
          pixels.map(n -> tf.withName(PIXELS).placeholder(TUint8.class, Placeholder.shape(shape)));
      Operand<TFloat32> images =
          pixelInput.isPresent()
              ? tf.withName(IMAGES)
                  .placeholderWithDefault(
                      EvalPreprocessing.of(input, pixels.get()).normalize(tf, pixelInput.get()),
                      shape)
              : tf.withName(IMAGES).placeholder(TFloat32.class, Placeholder.shape(shape));
      Optional<Placeholder<TInt64>> key =
          mode == Mode.TRAINING
              ? Optional.of(
                  tf.withName(RNG_KEY).placeholder(TInt64.class, Placeholder.shape(Shape.of(2))))
              : Optional.empty();
      ParameterStore store = new ParameterStore(tf);
      ModelOutputs out =
          TokenLearnerViT.build(
              ModuleScope.root(store, key.orElse(null)),
              model,
              input.numClasses(),
              transform.apply(tf, images),
              mode,
              dtype);
      return new ModelGraph(
          graph, tf, store, model, input, mode, dtype, images, pixelInput, key, out);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * The model applied again to {@code images} in inference mode, on this graph's variables; its ops
   * are named below {@code name}, computing in this model's dtype.
   *
   * @param name the name scope of the tower's ops, e.g. {@code eval}
   * @param images {@code [b, H, W, C]} (or with frames) in this graph
   */
  public ModelOutputs inferenceTower(String name, Operand<TFloat32> images) {
    return TokenLearnerViT.build(
        ModuleScope.tower(store, name, null),
        model,
        input.numClasses(),
        images,
        Mode.INFERENCE,
        dtype);
  }

  /** The graph. */
  public Graph graph() {
    return graph;
  }

  /** Root ops of the graph (named through a {@link PathScope}, on the model's device). */
  public Ops tf() {
    return tf;
  }

  /** The model's parameters. */
  public ParameterStore store() {
    return store;
  }

  /**
   * The image input, {@code [batch, H, W, C]} or {@code [batch, T, H, W, C]} float32: a
   * placeholder, or with a pixel input a placeholder whose default is the normalised {@link
   * #pixels()}.
   */
  public Operand<TFloat32> images() {
    return images;
  }

  /**
   * The uint8 pixel input of a graph built with one.
   *
   * @throws IllegalStateException if the graph has no pixel input
   */
  public Placeholder<TUint8> pixels() {
    return pixels.orElseThrow(
        () -> new IllegalStateException("this model graph has no " + PIXELS + " input"));
  }

  /** Whether the graph has a uint8 {@link #pixels()} input. */
  public boolean hasPixels() {
    return pixels.isPresent();
  }

  /**
   * The dropout key {@code [seed, step]} of a training graph.
   *
   * @throws IllegalStateException in an inference graph
   */
  public Placeholder<TInt64> rngKey() {
    return rngKey.orElseThrow(
        () -> new IllegalStateException("an inference-mode model has no " + RNG_KEY));
  }

  /** The model's outputs. */
  public ModelOutputs outputs() {
    return outputs;
  }

  /** The mode the model was built in. */
  public Mode mode() {
    return mode;
  }

  /** The dtype the forward computes in (parameters are float32 whatever it is). */
  public ComputeDtype dtype() {
    return dtype;
  }

  /** The input this model was built for. */
  public InputSpec input() {
    return input;
  }

  /** Number of ops in the graph. */
  public int opCount() {
    return countOps(graph);
  }

  /** Number of ops in {@code graph}. */
  public static int countOps(Graph graph) {
    int n = 0;
    for (var it = graph.operations(); it.hasNext(); it.next()) {
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    graph.close();
  }
}
