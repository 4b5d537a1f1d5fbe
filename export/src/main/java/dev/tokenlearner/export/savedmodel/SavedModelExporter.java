package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.config.ModelName;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.graph.ModelGraph;
import dev.tokenlearner.graph.ModelOutputs;
import dev.tokenlearner.graph.flops.FlopCounter;
import dev.tokenlearner.graph.flops.FlopReport;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * Writes a TokenLearner model as a SavedModel: builds the inference graph from an {@link
 * ExportSpec}, gives its parameters their values through a {@link WeightLoader}, and exports it
 * with the signatures listed in the package documentation plus the stored config ({@link
 * ModelMetadata}).
 *
 * <p>The model is written into a temporary sibling of the target and moved into place with one
 * atomic rename; an existing target is refused unless {@code overwrite} is set, and is then
 * replaced only once the new model is complete. Any failure leaves the target as it was.
 *
 * <pre>{@code
 * ExportResult r = SavedModelExporter.of(ExportSpec.of(config, Optional.of(text)))
 *     .export(Path.of("model"), WeightLoader.exactly(values));
 * }</pre>
 */
public final class SavedModelExporter {

  /** Called with the complete stage directory just before it is moved into place. */
  @FunctionalInterface
  interface StageHook {
    void beforeCommit(Path stage) throws IOException;
  }

  /** {@code saved_model_schema_version} of a graph-based (TF1-style) SavedModel. */
  static final long SCHEMA_VERSION = 1;

  private static final String SAVED_MODEL_PB = "saved_model.pb";

  private final ExportSpec spec;
  private final boolean overwrite;
  private final StageHook hook;

  private SavedModelExporter(ExportSpec spec, boolean overwrite, StageHook hook) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.overwrite = overwrite;
    this.hook = hook;
  }

  /**
   * An exporter that refuses to replace an existing directory.
   *
   * @param spec what to export
   * @return the exporter
   */
  public static SavedModelExporter of(ExportSpec spec) {
    return new SavedModelExporter(spec, false, stage -> {});
  }

  /**
   * Returns a copy that may (or may not) replace an existing target directory.
   *
   * @param value whether to replace an existing target
   * @return the copy
   */
  public SavedModelExporter overwrite(boolean value) {
    return new SavedModelExporter(spec, value, hook);
  }

  /** A copy that calls {@code h} on the finished stage before committing (tests). */
  SavedModelExporter withStageHook(StageHook h) {
    return new SavedModelExporter(spec, overwrite, h);
  }

  /**
   * Exports with exactly the given parameter values.
   *
   * @param target the SavedModel directory to create
   * @param values every parameter by Flax path
   * @return what was written
   * @throws IOException if writing fails or the target exists and overwrite is off
   * @throws IllegalArgumentException if the values do not match the model's parameters
   */
  public ExportResult export(Path target, Map<String, HostArray> values) throws IOException {
    return export(target, WeightLoader.exactly(values));
  }

  /**
   * Exports the model with the weights {@code weights} assigns.
   *
   * @param target the SavedModel directory to create
   * @param weights assigns every parameter of the export graph
   * @return what was written
   * @throws FileAlreadyExistsException if the target exists and overwrite is off; the target is
   *     left untouched
   * @throws IOException if writing fails; the target is left as it was
   * @throws IllegalArgumentException if the weights do not fit the model (from the loader)
   */
  public ExportResult export(Path target, WeightLoader weights) throws IOException {
    Path dir = target.toAbsolutePath().normalize();
    if (dir.getParent() == null) {
      throw new InvalidInputException("cannot export to the file system root");
    }
    // A previous run killed while replacing the target may have left it moved aside.
    StagedDirectory.recover(dir);
    if (Files.exists(dir) && !overwrite) {
      throw new FileAlreadyExistsException(
          dir.toString(), null, "already exists; pass overwrite to replace it");
    }
    // The model's input placeholder is the signature's input: ModelGraph.IMAGES ==
    // Signatures.INPUT.
    try (ModelGraph model =
            ModelGraph.build(spec.model(), spec.input(), Mode.INFERENCE, -1, Optional.empty());
        Session session = new Session(model.graph())) {
      Ops tf = model.tf();
      ParameterStore store = model.store();
      Operand<TFloat32> images = model.images();
      ModelOutputs outputs = model.outputs();
      // serving_bytes: exactly the evaluation preprocessing (graph/preprocess), once per image in
      // the graph, then a second inference tower on the same variables.
      Placeholder<TString> bytes = EncodedImages.placeholder(tf, spec.input());
      EvalPreprocessing preprocessing = EvalPreprocessing.of(spec.input(), spec.normalization());
      Operand<TFloat32> decoded =
          EncodedImages.decode(tf, bytes, spec.input(), preprocessing::apply);
      Operand<TFloat32> bytesLogits =
          model.inferenceTower(Signatures.SERVING_BYTES, decoded).logits();
      Map<String, Operand<TFloat32>> named = new LinkedHashMap<>();
      named.put(Signatures.SERVING_DEFAULT, outputs.logits());
      named.put(Signatures.REPRESENTATION, outputs.representation());
      named.put(Signatures.ENCODED, outputs.encoded());
      outputs.learnedTokens().ifPresent(t -> named.put(Signatures.LEARNED_TOKENS, t));
      outputs.tokenMaps().ifPresent(t -> named.put(Signatures.TOKEN_MAPS, t));

      List<SessionFunction> functions = new ArrayList<>();
      for (Map.Entry<String, Operand<TFloat32>> e : named.entrySet()) {
        String output = Signatures.outputOf(e.getKey());
        Operand<TFloat32> tensor = tf.withName(output).identity(e.getValue());
        Signature signature =
            Signature.builder()
                .key(e.getKey())
                .methodName(Signatures.METHOD_NAME)
                .input(Signatures.INPUT, images)
                .output(output, tensor)
                .build();
        functions.add(SessionFunction.create(signature, session));
      }
      ModelName modelName = ModelName.fromScenicName(spec.modelName());
      Operand<TFloat32> logits =
          tf.withName(Signatures.SERVING_BYTES + "_" + Signatures.LOGITS).identity(bytesLogits);
      Operand<TFloat32> probabilities =
          tf.withName(Signatures.PROBABILITIES)
              .identity(modelName.multilabel() ? tf.math.sigmoid(logits) : tf.nn.softmax(logits));
      functions.add(
          SessionFunction.create(
              Signature.builder()
                  .key(Signatures.SERVING_BYTES)
                  .methodName(Signatures.METHOD_NAME)
                  .input(Signatures.IMAGE_BYTES, bytes)
                  .output(Signatures.LOGITS, logits)
                  .output(Signatures.PROBABILITIES, probabilities)
                  .build(),
              session));
      List<String> keys = new ArrayList<>(named.keySet());
      keys.add(Signatures.SERVING_BYTES);

      weights.load(session, store);

      ModelMetadata metadata =
          new ModelMetadata(
              spec.modelName(),
              spec.model(),
              spec.input(),
              spec.normalization(),
              keys,
              spec.provenance(),
              spec.sourceConfig(),
              spec.labels(),
              Optional.of(statistics(store)));
      try (StagedDirectory stage = StagedDirectory.beside(dir)) {
        SavedModelBundle.exporter(stage.path().toString())
            .withTags(Signatures.TAG)
            .withFunctions(functions.toArray(new SessionFunction[0]))
            .export();
        markSchemaVersion(stage.path());
        metadata.write(stage.path());
        hook.beforeCommit(stage.path());
        stage.commit(overwrite);
      }
      return new ExportResult(dir, metadata, store.parameters().size(), store.parameterCount());
    }
  }

  /**
   * Writes {@code saved_model_schema_version: 1} into {@code saved_model.pb}, as Python's
   * SavedModel builder does. TensorFlow Java leaves it 0, and TFLite's converter then takes a path
   * that lifts the graph's variables into resource variables it later cannot find; with 1 it
   * imports the TF1-style graph directly. TensorFlow's loaders ignore the field.
   */
  static void markSchemaVersion(Path dir) throws IOException {
    Path pb = dir.resolve(SAVED_MODEL_PB);
    SavedModel model;
    try (InputStream in = Files.newInputStream(pb)) {
      model = SavedModel.parseFrom(in);
    }
    Path tmp = dir.resolve(SAVED_MODEL_PB + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      model.toBuilder().setSavedModelSchemaVersion(SCHEMA_VERSION).build().writeTo(out);
    }
    Files.move(tmp, pb, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private ModelStatistics statistics(ParameterStore store) {
    ModelMetadata probe =
        new ModelMetadata(
            spec.modelName(),
            spec.model(),
            spec.input(),
            spec.normalization(),
            List.of(),
            Map.of(),
            Optional.empty(),
            List.of(),
            Optional.empty());
    FlopReport flops = FlopCounter.count(probe.experimentConfig());
    return new ModelStatistics(
        store.parameterCount(),
        store.parameters().size(),
        flops.gflops(),
        flops.plainFlops() / 1e9);
  }
}
