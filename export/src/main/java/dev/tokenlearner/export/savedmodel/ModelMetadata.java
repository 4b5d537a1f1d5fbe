package dev.tokenlearner.export.savedmodel;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.Normalization;
import dev.tokenlearner.config.TemporalEncodingConfig;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.graph.preprocess.EvalPreprocessing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * What an exported model records about itself in {@code assets.extra/tokenlearner_config.yaml}:
 * enough to rebuild its config and preprocess inputs without the original files.
 *
 * <p>File layout (YAML):
 *
 * <pre>{@code
 * format: tokenlearner-savedmodel
 * format_version: 1
 * signatures: [serving_default, representation, encoded, learned_tokens]
 * input: {layout: NHWC, height: 224, width: 224, channels: 3, num_frames: 0, num_classes: 1000}
 * preprocessing:          # EvalPreprocessing.toMap(): what serving_bytes, predict and evaluation apply
 *   {normalization: imagenet, crop_fraction: 0.875, resize: bilinear_half_pixel_centers}
 * labels: [tench, goldfish, ...]   # class names, also in assets.extra/labels.txt (absent: unknown)
 * statistics: {parameters: 5717416, parameter_arrays: 152, gflops: 1.26, plain_vit_gflops: 1.26}
 * resolved_config:        # Scenic key names; ConfigLoader.fromMap reads it back
 *   model_name: token_learner_classification
 *   model_dtype_str: float32
 *   num_classes: 1000
 *   image_size: [224, 224]
 *   model: {hidden_size: ..., tokenizer: {...}, ...}
 * provenance: {checkpoint: ..., checkpoint_format: ..., config_source: ...}
 * source_config: |        # the original config file, verbatim (absent when built in code)
 *   ...
 * }</pre>
 *
 * @param modelName Scenic's {@code model_name}
 * @param model the resolved model config
 * @param input the input spec the graph was built for
 * @param normalization how pixels were normalised in training
 * @param signatures the exported signature keys
 * @param provenance where the weights and config came from (free-form keys)
 * @param sourceConfig the original config text, when the export started from a file
 * @param labels class names in class order, empty when unknown
 * @param statistics parameter count and FLOPs, when recorded
 */
public record ModelMetadata(
    String modelName,
    ModelConfig model,
    InputSpec input,
    Normalization normalization,
    List<String> signatures,
    Map<String, String> provenance,
    Optional<String> sourceConfig,
    List<String> labels,
    Optional<ModelStatistics> statistics) {

  /** Value of the {@code format} key. */
  public static final String FORMAT = "tokenlearner-savedmodel";

  /** Version of this layout. */
  public static final int FORMAT_VERSION = 1;

  /** Validates and copies the fields. */
  public ModelMetadata {
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(normalization, "normalization");
    Objects.requireNonNull(sourceConfig, "sourceConfig");
    signatures = List.copyOf(signatures);
    provenance = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    labels = List.copyOf(labels);
    Objects.requireNonNull(statistics, "statistics");
  }

  /**
   * Metadata without labels or statistics.
   *
   * @param modelName Scenic's {@code model_name}
   * @param model the resolved model config
   * @param input the input spec the graph was built for
   * @param normalization how pixels were normalised in training
   * @param signatures the exported signature keys
   * @param provenance where the weights and config came from
   * @param sourceConfig the original config text, when the export started from a file
   */
  public ModelMetadata(
      String modelName,
      ModelConfig model,
      InputSpec input,
      Normalization normalization,
      List<String> signatures,
      Map<String, String> provenance,
      Optional<String> sourceConfig) {
    this(
        modelName,
        model,
        input,
        normalization,
        signatures,
        provenance,
        sourceConfig,
        List.of(),
        Optional.empty());
  }

  /**
   * The name of a class.
   *
   * @param index the class index
   * @return its label, or the index as text when no labels are recorded
   */
  public String label(int index) {
    return index >= 0 && index < labels.size() ? labels.get(index) : Integer.toString(index);
  }

  /**
   * The config document in Scenic's key names that {@link ConfigLoader#fromMap} turns back into
   * this model and input.
   *
   * @return nested maps and lists
   */
  public Map<String, Object> resolvedConfig() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("model_name", modelName);
    doc.put("model_dtype_str", "float32");
    doc.put("num_classes", input.numClasses());
    doc.put("image_size", List.of(input.height(), input.width()));
    if (input.isVideo()) {
      doc.put("num_frames", input.numFrames());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("hidden_size", model.hiddenSize());
    m.put("num_heads", model.numHeads());
    m.put("mlp_dim", model.mlpDim());
    m.put("num_layers", model.numLayers());
    m.put(
        "representation_size",
        model.representationSize().isPresent() ? model.representationSize().getAsInt() : null);
    m.put("classifier", model.classifier().scenicName());
    m.put("dropout_rate", model.dropoutRate());
    m.put("attention_dropout_rate", model.attentionDropoutRate());
    m.put("stochastic_depth", model.stochasticDepth());
    TokenizerConfig t = model.tokenizer();
    Map<String, Object> tok = new LinkedHashMap<>();
    tok.put("type", t.type().scenicName());
    tok.put("patches", Map.of("size", Arrays.stream(t.patchSize()).boxed().toList()));
    tok.put("num_tokens", t.numTokens());
    tok.put("tokenlearner_loc", t.tokenlearnerLoc());
    tok.put("use_tokenfuse", t.useTokenfuse());
    tok.put("use_v11", t.useV11());
    if (t.temporalEncoding().isPresent()) {
      TemporalEncodingConfig te = t.temporalEncoding().get();
      Map<String, Object> tem = new LinkedHashMap<>();
      tem.put("method", te.method().scenicName());
      te.nSampledFrames().ifPresent(n -> tem.put("n_sampled_frames", n));
      te.kernelInitMethod().ifPresent(k -> tem.put("kernel_init_method", k));
      tok.put("temporal_encoding_config", tem);
    }
    m.put("tokenizer", tok);
    doc.put("model", m);
    doc.put(Normalization.SECTION, Map.of(Normalization.KEY, normalization.configName()));
    return doc;
  }

  /**
   * The evaluation preprocessing of this model's inputs (the crop fraction and resize method this
   * version implements, recorded under {@code preprocessing}).
   *
   * @return the preprocessing that {@code predict} and evaluation apply to image files
   */
  public EvalPreprocessing preprocessing() {
    return EvalPreprocessing.of(input, normalization);
  }

  /**
   * Rebuilds the experiment config from {@link #resolvedConfig()}; training keys take their
   * defaults.
   *
   * @return the config
   */
  public ExperimentConfig experimentConfig() {
    return ConfigLoader.fromMap(resolvedConfig(), "tokenlearner_config.yaml#resolved_config");
  }

  /**
   * Renders {@link #resolvedConfig()} as YAML (a config file {@code ConfigLoader} reads).
   *
   * @return the document text
   */
  public String resolvedConfigYaml() {
    return new Dump(
            DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setWidth(100).build())
        .dumpToString(resolvedConfig());
  }

  /**
   * Renders the metadata as YAML.
   *
   * @return the document text
   */
  public String toYaml() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", FORMAT);
    doc.put("format_version", FORMAT_VERSION);
    doc.put("signatures", signatures);
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("layout", input.isVideo() ? "NTHWC" : "NHWC");
    in.put("height", input.height());
    in.put("width", input.width());
    in.put("channels", input.channels());
    in.put("num_frames", input.numFrames());
    in.put("num_classes", input.numClasses());
    doc.put("input", in);
    doc.put(Normalization.SECTION, preprocessing().toMap());
    if (!labels.isEmpty()) {
      doc.put("labels", labels);
    }
    statistics.ifPresent(
        st -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("parameters", st.parameters());
          m.put("parameter_arrays", st.parameterArrays());
          m.put("gflops", st.gflops());
          m.put("plain_vit_gflops", st.plainVitGflops());
          doc.put("statistics", m);
        });
    doc.put("resolved_config", resolvedConfig());
    doc.put("provenance", provenance);
    sourceConfig.ifPresent(s -> doc.put("source_config", s));
    DumpSettings settings =
        DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setWidth(100).build();
    return new Dump(settings).dumpToString(doc);
  }

  /**
   * Writes {@link #toYaml()} to {@code assets.extra/tokenlearner_config.yaml} under a model
   * directory.
   *
   * @param modelDir the SavedModel directory
   * @throws IOException if the file cannot be written
   */
  public void write(Path modelDir) throws IOException {
    Path dir = modelDir.resolve(Signatures.ASSETS_EXTRA);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(Signatures.CONFIG_FILE), toYaml(), StandardCharsets.UTF_8);
    if (!labels.isEmpty()) {
      Files.writeString(
          dir.resolve(Signatures.LABELS_FILE),
          String.join("\n", labels) + "\n",
          StandardCharsets.UTF_8);
    }
  }

  /**
   * Reads the metadata of an exported model.
   *
   * @param modelDir the SavedModel directory
   * @return the metadata
   * @throws IOException if the file is absent, unreadable or not this format
   */
  public static ModelMetadata read(Path modelDir) throws IOException {
    Path file = modelDir.resolve(Signatures.ASSETS_EXTRA).resolve(Signatures.CONFIG_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no stored config; was this model exported by tokenlearner?");
    }
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses the YAML written by {@link #toYaml()}.
   *
   * @param text the document
   * @param source a name for error messages
   * @return the metadata
   * @throws IOException if the document is not this format or misses a key
   */
  public static ModelMetadata parse(String text, String source) throws IOException {
    Object parsed;
    try {
      parsed = new Load(LoadSettings.builder().setLabel(source).build()).loadFromString(text);
    } catch (YamlEngineException e) {
      throw new IOException(source + ": not valid YAML: " + e.getMessage(), e);
    }
    if (!(parsed instanceof Map<?, ?> doc) || !FORMAT.equals(doc.get("format"))) {
      throw new IOException(source + ": expected format: " + FORMAT);
    }
    Object version = doc.get("format_version");
    if (!(version instanceof Number v) || v.intValue() != FORMAT_VERSION) {
      throw new IOException(
          source + ": format_version: expected " + FORMAT_VERSION + ", found " + version);
    }
    Map<?, ?> resolved = map(doc, "resolved_config", source);
    ExperimentConfig config;
    try {
      config = ConfigLoader.fromMap(resolved, source + "#resolved_config");
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": resolved_config: " + e.getMessage(), e);
    }
    Map<?, ?> in = map(doc, "input", source);
    InputSpec input =
        new InputSpec(
            integer(in, "height", source),
            integer(in, "width", source),
            integer(in, "channels", source),
            integer(in, "num_frames", source),
            integer(in, "num_classes", source));
    Normalization norm;
    try {
      norm =
          EvalPreprocessing.fromMap(map(doc, Normalization.SECTION, source), input).normalization();
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
    List<String> signatures = new ArrayList<>();
    if (doc.get("signatures") instanceof List<?> l) {
      l.forEach(s -> signatures.add(String.valueOf(s)));
    }
    Map<String, String> provenance = new LinkedHashMap<>();
    if (doc.get("provenance") instanceof Map<?, ?> p) {
      p.forEach((k, val) -> provenance.put(String.valueOf(k), String.valueOf(val)));
    }
    Optional<String> sourceConfig =
        Optional.ofNullable(doc.get("source_config")).map(String::valueOf);
    List<String> labels = new ArrayList<>();
    if (doc.get("labels") instanceof List<?> l) {
      l.forEach(s -> labels.add(String.valueOf(s)));
    }
    Optional<ModelStatistics> statistics = Optional.empty();
    if (doc.get("statistics") instanceof Map<?, ?> st) {
      statistics =
          Optional.of(
              new ModelStatistics(
                  number(st, "parameters", source).longValue(),
                  number(st, "parameter_arrays", source).intValue(),
                  number(st, "gflops", source).doubleValue(),
                  number(st, "plain_vit_gflops", source).doubleValue()));
    }
    return new ModelMetadata(
        config.modelName().scenicName(),
        config.model(),
        input,
        norm,
        signatures,
        provenance,
        sourceConfig,
        labels,
        statistics);
  }

  private static Number number(Map<?, ?> m, String key, String source) throws IOException {
    if (m.get(key) instanceof Number n) {
      return n;
    }
    throw new IOException(
        source + ": statistics." + key + ": expected a number, found " + m.get(key));
  }

  private static Map<?, ?> map(Map<?, ?> doc, String key, String source) throws IOException {
    if (doc.get(key) instanceof Map<?, ?> m) {
      return m;
    }
    throw new IOException(source + ": " + key + ": expected a map, found " + doc.get(key));
  }

  private static int integer(Map<?, ?> m, String key, String source) throws IOException {
    if (m.get(key) instanceof Number n) {
      return n.intValue();
    }
    throw new IOException(source + ": input." + key + ": expected an integer, found " + m.get(key));
  }
}
