package dev.tokenlearner.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads an {@link ExperimentConfig} from YAML or JSON (JSON is YAML 1.2, so one parser serves both)
 * with Scenic's key names. This is the one place where keys become record fields.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>Keys under {@code model}, {@code model.tokenizer} (and its {@code patches}, {@code
 *       temporal_encoding_config}), {@code optimizer_configs} and {@code lr_configs} must be known;
 *       a misspelt one fails with a did-you-mean naming the file and dotted key. Everything else
 *       (Scenic's {@code dataset_configs.*}, logging keys, the fixtures' {@code fixture} block) is
 *       accepted, and what no record read is listed in {@link ExperimentConfig#unusedKeys()}.
 *   <li>{@code model.variant} ({@code 'B/16'}, {@code 'Ti/16'}, ...) fills {@code hidden_size},
 *       {@code num_heads}, {@code mlp_dim}, {@code num_layers} and {@code tokenizer.patches.size}
 *       from {@link ViTSize}; explicit keys win.
 *   <li>Defaults are Scenic's: {@code dropout_rate} and {@code attention_dropout_rate} 0.1, {@code
 *       use_v11} true, {@code use_tokenfuse} false, {@code model_dtype_str} float32.
 *   <li>Errors ({@link ConfigException}): missing or mistyped keys, {@code hidden_size % num_heads
 *       != 0}, unknown tokenizer type or classifier, TokenLearner v1 on a non-square token grid per
 *       frame, inputs that disagree between sources.
 *   <li>Warnings (logged and in {@link ExperimentConfig#warnings()}): e.g. {@code tokenlearner_loc
 *       >= num_layers}, which leaves a plain ViT, as in Scenic.
 * </ul>
 */
public final class ConfigLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

  /** Classpath folder holding the bundled configs ({@code configs/<name>.yaml}). */
  public static final String RESOURCE_DIR = "configs/";

  /** Datasets whose images are grey: their inputs have one channel. */
  static final Set<String> GREY_DATASETS = Set.of("fashion_mnist", "mnist");

  static final Set<String> MODEL_KEYS =
      Set.of(
          "hidden_size",
          "num_heads",
          "mlp_dim",
          "num_layers",
          "representation_size",
          "classifier",
          "dropout_rate",
          "attention_dropout_rate",
          "stochastic_depth",
          "tokenizer",
          "variant");

  /** ViViT puts these directly under {@code model}; TokenLearnerViT never reads them there. */
  static final Set<String> VIVIT_MODEL_KEYS =
      Set.of("patches", "temporal_encoding_config", "attention_config");

  static final Set<String> TOKENIZER_KEYS =
      Set.of(
          "type",
          "patches",
          "num_tokens",
          "tokenlearner_loc",
          "use_tokenfuse",
          "use_v11",
          "temporal_encoding_config");

  static final Set<String> PATCHES_KEYS = Set.of("size");

  static final Set<String> TEMPORAL_KEYS =
      Set.of("method", "n_sampled_frames", "kernel_init_method");

  static final Set<String> LR_CONFIG_KEYS =
      Set.of(
          "learning_rate_schedule",
          "factors",
          "base_learning_rate",
          "warmup_steps",
          "total_steps",
          "end_learning_rate",
          "steps_per_cycle",
          "warmup_alpha",
          "alpha",
          "timescale");

  private ConfigLoader() {}

  /**
   * Loads a YAML or JSON config file.
   *
   * @param file the file
   * @return the config
   * @throws IOException if the file cannot be read
   * @throws ConfigException if the content is not a valid config
   */
  public static ExperimentConfig load(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Loads a config from the classpath.
   *
   * @param resource the resource path, e.g. {@code configs/tiny.yaml}
   * @return the config
   * @throws ConfigException if there is no such resource or it is not a valid config
   */
  public static ExperimentConfig loadResource(String resource) {
    String source = "classpath:" + resource;
    ClassLoader cl = ConfigLoader.class.getClassLoader();
    try (InputStream in = cl.getResourceAsStream(resource)) {
      if (in == null) {
        throw new ConfigException(source, "", "no such resource on the classpath");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), source);
    } catch (IOException e) {
      throw new ConfigException(source, "cannot read resource: " + e.getMessage(), e);
    }
  }

  /**
   * Loads a config given as a file path or as the name of a bundled config: an existing file wins;
   * otherwise {@code name} (with or without {@code .yaml}) is looked up under {@link #RESOURCE_DIR}
   * on the classpath, so {@code "tiny"} loads {@code configs/tiny.yaml}.
   *
   * @param nameOrPath a path or a bundled config name
   * @return the config
   * @throws IOException if an existing file cannot be read
   * @throws ConfigException if neither a file nor a bundled config of that name exists, or the
   *     content is not a valid config
   */
  public static ExperimentConfig loadNamed(String nameOrPath) throws IOException {
    Path p = Path.of(nameOrPath);
    if (Files.isRegularFile(p)) {
      return load(p);
    }
    String name = nameOrPath.endsWith(".yaml") ? nameOrPath : nameOrPath + ".yaml";
    String resource = RESOURCE_DIR + name;
    if (ConfigLoader.class.getClassLoader().getResource(resource) == null) {
      throw new ConfigException(
          nameOrPath, "", "no such file, and no bundled config 'classpath:" + resource + "'");
    }
    return loadResource(resource);
  }

  /**
   * Parses YAML or JSON text.
   *
   * @param text the document
   * @param source a name for messages (file path, resource)
   * @return the config
   * @throws ConfigException if the text is not YAML/JSON or not a valid config
   */
  public static ExperimentConfig parse(String text, String source) {
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(source)
            .setSchema(new CoreSchema())
            .setAllowDuplicateKeys(false)
            .build();
    Object doc;
    try {
      doc = new Load(settings).loadFromString(text);
    } catch (YamlEngineException | IllegalArgumentException e) {
      // snakeyaml-engine reports some malformed tags (e.g. "!%3", a tag ending in a space once
      // decoded) with IllegalArgumentException instead of its own exception.
      throw new ConfigException(source, "not valid YAML/JSON: " + e.getMessage(), e);
    }
    if (!(doc instanceof Map<?, ?> map)) {
      throw new ConfigException(
          source,
          "",
          "expected a mapping at the top level, found "
              + (doc == null ? "an empty document" : ConfigNode.describe(doc)));
    }
    return fromMap(map, source);
  }

  /**
   * Builds a config from an already parsed document (nested maps, lists, strings, numbers,
   * booleans, nulls).
   *
   * @param document the top-level mapping
   * @param source a name for messages
   * @return the config
   * @throws ConfigException if the document is not a valid config
   */
  public static ExperimentConfig fromMap(Map<?, ?> document, String source) {
    return new Parse(source, document).run();
  }

  /** One parse: the document, the keys read so far and the warnings found. */
  private static final class Parse {
    private final String source;
    private final Map<?, ?> document;
    private final Set<String> used = new HashSet<>();
    private final List<String> warnings = new ArrayList<>();
    private final ConfigNode root;

    Parse(String source, Map<?, ?> document) {
      this.source = source;
      this.document = document;
      this.root = new ConfigNode(source, "", document, used);
    }

    ExperimentConfig run() {
      ModelName modelName =
          enumValue(
              root,
              "model_name",
              ModelName::fromScenicName,
              ModelName.values(),
              ModelName::scenicName);
      String dtype = root.optString("model_dtype_str").orElse(ExperimentConfig.MODEL_DTYPE_DEFAULT);
      ModelConfig model = model();
      InputSpec input = input(model);
      TrainConfig train = train();
      // Read by the trainer; checked here so a mistake fails at load and the keys count as used.
      InitFromConfig.read(root);
      MixupConfig.read(root);
      Normalization normalization = normalization();
      runtime();
      for (String w : warnings) {
        LOG.warn("{}: {}", source, w);
      }
      Map<String, Object> raw = new LinkedHashMap<>();
      document.forEach((k, v) -> raw.put(String.valueOf(k), v));
      return construct(
          root,
          () ->
              new ExperimentConfig(
                  modelName,
                  dtype,
                  model,
                  input,
                  train,
                  normalization,
                  raw,
                  source,
                  unusedKeys(),
                  warnings));
    }

    // ---------------------------------------------------------------- model

    private ModelConfig model() {
      ConfigNode m = root.child("model").orElseThrow(() -> root.missing("model", "a mapping"));
      Set<String> allowed = new HashSet<>(MODEL_KEYS);
      allowed.addAll(VIVIT_MODEL_KEYS);
      m.requireKnownKeys(allowed);
      for (String k : VIVIT_MODEL_KEYS) {
        if (m.contains(k)) {
          warnings.add(
              m.key(k)
                  + " is where ViViT puts it; TokenLearnerViT ignores it (use model.tokenizer."
                  + k
                  + ")");
        }
      }
      Optional<Variant> variant = m.optString("variant").map(v -> variant(m, v));
      int hidden = sized(m, "hidden_size", variant.map(v -> v.size().hiddenSize()));
      int heads = sized(m, "num_heads", variant.map(v -> v.size().numHeads()));
      int mlp = sized(m, "mlp_dim", variant.map(v -> v.size().mlpDim()));
      int layers = sized(m, "num_layers", variant.map(v -> v.size().numLayers()));
      OptionalInt rep = m.optInt("representation_size");
      if (!m.has("classifier")) {
        throw m.missing("classifier", "'gap', 'gmp' or 'gsp'");
      }
      Classifier classifier =
          enumValue(
              m,
              "classifier",
              Classifier::fromScenicName,
              Classifier.values(),
              Classifier::scenicName);
      double dropout = rate(m, "dropout_rate", ModelConfig.DROPOUT_RATE_DEFAULT);
      double attnDropout = rate(m, "attention_dropout_rate", ModelConfig.DROPOUT_RATE_DEFAULT);
      double stochastic = rate(m, "stochastic_depth", 0.0);
      if (stochastic > 0) {
        // Scenic's own ImageNet config sets it, so this is a note, not a warning.
        LOG.info(
            "{}: {} = {} is kept but TokenLearnerViT never passes it to its encoder blocks",
            source,
            m.key("stochastic_depth"),
            stochastic);
      }
      ConfigNode t = m.child("tokenizer").orElseThrow(() -> m.missing("tokenizer", "a mapping"));
      TokenizerConfig tokenizer = tokenizer(t, variant, layers);
      return construct(
          m,
          () ->
              new ModelConfig(
                  hidden,
                  heads,
                  mlp,
                  layers,
                  rep,
                  classifier,
                  dropout,
                  attnDropout,
                  stochastic,
                  tokenizer));
    }

    private Variant variant(ConfigNode m, String text) {
      try {
        return Variant.parse(text);
      } catch (IllegalArgumentException e) {
        throw m.error("variant", e.getMessage());
      }
    }

    private int sized(ConfigNode m, String name, Optional<Integer> fromVariant) {
      OptionalInt v = m.optInt(name);
      int value;
      if (v.isPresent()) {
        value = v.getAsInt();
      } else if (fromVariant.isPresent()) {
        value = fromVariant.get();
      } else {
        throw m.missing(name, "an integer, or model.variant such as 'B/16'");
      }
      if (value <= 0) {
        throw m.error(name, "must be positive, got " + value);
      }
      return value;
    }

    private double rate(ConfigNode n, String name, double dflt) {
      double v = n.doubleOr(name, dflt);
      if (!(v >= 0 && v < 1)) {
        throw n.error(name, "must be in [0, 1), got " + v);
      }
      return v;
    }

    private TokenizerConfig tokenizer(ConfigNode t, Optional<Variant> variant, int numLayers) {
      t.requireKnownKeys(TOKENIZER_KEYS);
      if (!t.has("type")) {
        throw t.missing("type", "'patch', 'dynamic' or 'video'");
      }
      TokenizerType type =
          enumValue(
              t,
              "type",
              TokenizerType::fromScenicName,
              TokenizerType.values(),
              TokenizerType::scenicName);
      Optional<TemporalEncodingConfig> temporal = Optional.empty();
      if (type == TokenizerType.VIDEO) {
        ConfigNode te =
            t.child("temporal_encoding_config")
                .orElseThrow(() -> t.missing("temporal_encoding_config", "a mapping"));
        temporal = Optional.of(temporal(te));
      } else if (t.contains("temporal_encoding_config")) {
        warnings.add(
            t.key("temporal_encoding_config") + " is ignored for tokenizer '" + type + "'");
      }
      // TokenizerConfig checks the patch rank against the temporal encoding.
      int[] patch = patchSize(t, variant);

      boolean learns = type.learnsTokens();
      int numTokens;
      int loc;
      if (learns) {
        numTokens = t.optInt("num_tokens").orElseThrow(() -> t.missing("num_tokens", "an integer"));
        if (numTokens <= 0) {
          throw t.error("num_tokens", "must be positive, got " + numTokens);
        }
        loc =
            t.optInt("tokenlearner_loc")
                .orElseThrow(() -> t.missing("tokenlearner_loc", "an integer in [0, num_layers)"));
      } else {
        numTokens = t.intOr("num_tokens", 0);
        if (numTokens < 0) {
          throw t.error("num_tokens", "must be >= 0, got " + numTokens);
        }
        loc = t.intOr("tokenlearner_loc", numLayers);
      }
      if (loc < 0) {
        throw t.error("tokenlearner_loc", "must be in [0, num_layers), got " + loc);
      }
      boolean fuse = t.boolOr("use_tokenfuse", false);
      boolean v11 = t.boolOr("use_v11", true);
      if (learns && loc >= numLayers) {
        warnings.add(
            t.key("tokenlearner_loc")
                + " = "
                + loc
                + " >= num_layers "
                + numLayers
                + ": no TokenLearner is built and the model is a plain ViT (as in Scenic)");
      }
      if (!learns && fuse) {
        warnings.add(
            t.key("use_tokenfuse") + " has no effect with tokenizer 'patch' (no TokenLearner)");
      }
      Optional<TemporalEncodingConfig> te = temporal;
      return construct(t, () -> new TokenizerConfig(type, patch, numTokens, loc, fuse, v11, te));
    }

    private int[] patchSize(ConfigNode t, Optional<Variant> variant) {
      Optional<ConfigNode> patches = t.child("patches");
      patches.ifPresent(p -> p.requireKnownKeys(PATCHES_KEYS));
      Optional<int[]> size = patches.flatMap(p -> p.optIntArray("size", false));
      String key = t.key("patches.size");
      int[] patch;
      if (size.isPresent()) {
        patch = size.get();
      } else if (variant.isPresent()) {
        int p = variant.get().patchSize();
        patch = new int[] {p, p};
      } else {
        throw new ConfigException(
            source, key, "missing required key (a list [fh, fw]), or model.variant such as 'B/16'");
      }
      return patch;
    }

    private TemporalEncodingConfig temporal(ConfigNode te) {
      te.requireKnownKeys(TEMPORAL_KEYS);
      if (!te.has("method")) {
        throw te.missing("method", "'3d_conv' or 'temporal_sampling'");
      }
      TemporalEncodingMethod method =
          enumValue(
              te,
              "method",
              TemporalEncodingMethod::fromScenicName,
              TemporalEncodingMethod.values(),
              TemporalEncodingMethod::scenicName);
      OptionalInt n = te.optInt("n_sampled_frames");
      if (method == TemporalEncodingMethod.TEMPORAL_SAMPLING) {
        if (n.isEmpty()) {
          throw te.missing("n_sampled_frames", "an integer, needed by temporal_sampling");
        }
        if (n.getAsInt() <= 0) {
          throw te.error("n_sampled_frames", "must be positive, got " + n.getAsInt());
        }
      }
      Optional<String> init = te.optString("kernel_init_method");
      if (init.isPresent() && !TemporalEncodingConfig.KERNEL_INIT_METHODS.contains(init.get())) {
        throw te.error(
            "kernel_init_method",
            "unknown value '"
                + init.get()
                + "'; expected one of "
                + TemporalEncodingConfig.KERNEL_INIT_METHODS);
      }
      return construct(te, () -> new TemporalEncodingConfig(method, n, init));
    }

    // ---------------------------------------------------------------- input

    private InputSpec input(ModelConfig model) {
      boolean video = model.tokenizer().type() == TokenizerType.VIDEO;
      Optional<ConfigNode> fixture = root.child("fixture");
      Optional<ConfigNode> dataset = root.child("dataset_configs");
      Optional<ConfigNode> meta = root.child("dataset_meta_data");

      List<Sourced> sizes = new ArrayList<>();
      List<Sourced> frames = new ArrayList<>();
      int channels = InputSpec.CHANNELS_DEFAULT;
      if (fixture.isPresent()) {
        ConfigNode f = fixture.get();
        Optional<int[]> shape = f.optIntArray("input_shape", false);
        if (shape.isPresent()) {
          int[] s = shape.get();
          String key = f.key("input_shape");
          if (s.length != (video ? 5 : 4)) {
            throw new ConfigException(
                source,
                key,
                "expected "
                    + (video ? "[B, T, H, W, C] for tokenizer 'video'" : "[B, H, W, C]")
                    + ", found "
                    + Arrays.toString(s));
          }
          int off = video ? 2 : 1;
          sizes.add(new Sourced(key, new int[] {s[off], s[off + 1]}));
          if (video) {
            frames.add(new Sourced(key, new int[] {s[1]}));
          }
          channels = s[s.length - 1];
        }
      }
      if (fixture.isEmpty() && GREY_DATASETS.contains(root.optString("dataset_name").orElse(""))) {
        channels = 1; // Scenic's MNIST-style datasets are [28, 28, 1]
      }
      dataset.ifPresent(d -> addSize(sizes, d, "image_size"));
      addSize(sizes, root, "image_size");
      dataset.ifPresent(d -> addSize(sizes, d, "crop_size"));
      int[] hw =
          agree(sizes, "input size")
              .orElse(new int[] {InputSpec.IMAGE_SIZE_DEFAULT, InputSpec.IMAGE_SIZE_DEFAULT});

      int numFrames = 0;
      if (video) {
        dataset.ifPresent(d -> addScalar(frames, d, "num_frames"));
        addScalar(frames, root, "num_frames");
        numFrames =
            agree(frames, "num_frames")
                .orElseThrow(
                    () ->
                        new ConfigException(
                            source,
                            "dataset_configs.num_frames",
                            "missing required key (an integer) for tokenizer 'video'"))[0];
      }

      List<Sourced> classes = new ArrayList<>();
      addScalar(classes, root, "num_classes");
      dataset.ifPresent(d -> addScalar(classes, d, "num_classes"));
      meta.ifPresent(d -> addScalar(classes, d, "num_classes"));
      int numClasses =
          agree(classes, "num_classes")
              .orElseThrow(
                  () ->
                      new ConfigException(
                          source,
                          "num_classes",
                          "missing required key (an integer; also accepted as "
                              + "dataset_configs.num_classes or dataset_meta_data.num_classes)"))[
              0];
      for (Sourced s : classes) {
        if (s.value[0] <= 0) {
          throw new ConfigException(source, s.key, "must be positive, got " + s.value[0]);
        }
      }
      for (Sourced s : sizes) {
        if (s.value[0] <= 0 || s.value[1] <= 0) {
          throw new ConfigException(
              source, s.key, "image size must be positive, got " + Arrays.toString(s.value));
        }
      }
      if (video && numFrames <= 0) {
        throw new ConfigException(
            source, frames.get(0).key, "num_frames must be positive, got " + numFrames);
      }
      if (channels <= 0) {
        throw new ConfigException(source, "fixture.input_shape", "channels must be positive");
      }
      int c = channels;
      int t = numFrames;
      return construct(root, () -> new InputSpec(hw[0], hw[1], c, t, numClasses));
    }

    /** A value and the key it came from, to report disagreements between sources. */
    private record Sourced(String key, int[] value) {}

    private void addSize(List<Sourced> out, ConfigNode n, String name) {
      Optional<int[]> v = n.optIntArray(name, true);
      if (v.isEmpty()) {
        return;
      }
      int[] a = v.get();
      int[] hw;
      if (a.length == 1) {
        hw = new int[] {a[0], a[0]};
      } else if (a.length == 2 || a.length == 3) {
        hw = new int[] {a[0], a[1]}; // [H, W] or [H, W, C]
      } else {
        throw n.error(
            name, "expected an integer, [H, W] or [H, W, C], found " + Arrays.toString(a));
      }
      out.add(new Sourced(n.key(name), hw));
    }

    private void addScalar(List<Sourced> out, ConfigNode n, String name) {
      OptionalInt v = n.optInt(name);
      if (v.isPresent()) {
        out.add(new Sourced(n.key(name), new int[] {v.getAsInt()}));
      }
    }

    private Optional<int[]> agree(List<Sourced> values, String what) {
      if (values.isEmpty()) {
        return Optional.empty();
      }
      Sourced first = values.get(0);
      for (Sourced s : values) {
        if (!Arrays.equals(s.value, first.value)) {
          throw new ConfigException(
              source,
              s.key,
              what
                  + " "
                  + Arrays.toString(s.value)
                  + " disagrees with "
                  + first.key
                  + " "
                  + Arrays.toString(first.value));
        }
      }
      return Optional.of(first.value);
    }

    // ---------------------------------------------------------------- training

    private TrainConfig train() {
      OptimizerSpec optimizer = OptimizerSpec.read(root);
      OptionalLong steps = root.optLong("num_training_steps");
      OptionalDouble epochs = root.optDouble("num_training_epochs");
      OptionalDouble explicitWd = root.optDouble("explicit_weight_decay");
      OptionalDouble l2 = root.optDouble("l2_decay_factor");
      OptionalDouble clip = root.optDouble("max_grad_norm");
      OptionalDouble smoothing = root.optDouble("label_smoothing");
      OptionalInt batch = root.optInt("batch_size");
      OptionalInt evalBatch = root.optInt("eval_batch_size");
      OptionalInt logEval = root.optInt("log_eval_steps");
      OptionalInt logSummary = root.optInt("log_summary_steps");
      OptionalInt ckpt = root.optInt("checkpoint_steps");
      int keep = root.intOr("max_checkpoint_keep", TrainConfig.MAX_CHECKPOINT_KEEP_DEFAULT);
      long seed = root.optLong("rng_seed").orElse(0);
      OptionalDouble headBias = root.optDouble("init_head_bias");
      Optional<LrConfig> lr = root.child("lr_configs").map(this::lrConfig);
      DatasetConfig dataset = dataset();
      return construct(
          root,
          () ->
              new TrainConfig(
                  optimizer,
                  explicitWd,
                  l2,
                  clip,
                  smoothing,
                  batch,
                  evalBatch,
                  steps,
                  epochs,
                  logEval,
                  logSummary,
                  ckpt,
                  keep,
                  seed,
                  headBias,
                  lr,
                  dataset));
    }

    private LrConfig lrConfig(ConfigNode l) {
      l.requireKnownKeys(LR_CONFIG_KEYS);
      Optional<String> schedule = l.optString("learning_rate_schedule");
      if (schedule.isPresent() && !schedule.get().equals(LrConfig.COMPOUND)) {
        throw l.error(
            "learning_rate_schedule", "Scenic knows only 'compound', got '" + schedule.get() + "'");
      }
      List<String> factors;
      if (schedule.isPresent()) {
        String f = l.optString("factors").orElseThrow(() -> l.missing("factors", "a string"));
        factors = Arrays.stream(f.split("\\*")).map(String::trim).collect(Collectors.toList());
        for (String name : factors) {
          if (!LrConfig.SUPPORTED_FACTORS.contains(name)) {
            throw l.error("factors", unknownValue(name, LrConfig.SUPPORTED_FACTORS));
          }
        }
      } else {
        // Without a schedule Scenic uses base_learning_rate as a constant.
        factors = List.of("constant");
        if (l.has("factors")) {
          throw l.error("factors", "needs learning_rate_schedule: 'compound'");
        }
      }
      double base =
          l.optDouble("base_learning_rate")
              .orElseThrow(() -> l.missing("base_learning_rate", "a number"));
      long warmup = l.optLong("warmup_steps").orElse(0);
      OptionalLong total = l.optLong("total_steps");
      double end = l.doubleOr("end_learning_rate", 0.0);
      OptionalLong cycle = l.optLong("steps_per_cycle");
      double warmupAlpha = l.doubleOr("warmup_alpha", 0.0);
      double alpha = l.doubleOr("alpha", 0.0);
      double timescale = l.doubleOr("timescale", LrConfig.TIMESCALE_DEFAULT);
      if (factors.contains("linear_decay") && total.isEmpty()) {
        throw l.missing("total_steps", "an integer, needed by factor linear_decay");
      }
      if (factors.contains("cosine_decay") && cycle.isEmpty()) {
        throw l.missing("steps_per_cycle", "an integer, needed by factor cosine_decay");
      }
      return construct(
          l,
          () ->
              new LrConfig(
                  LrConfig.COMPOUND,
                  factors,
                  base,
                  warmup,
                  total,
                  end,
                  cycle,
                  warmupAlpha,
                  alpha,
                  timescale));
    }

    private DatasetConfig dataset() {
      Optional<String> name = root.optString("dataset_name");
      String dtype = root.optString("data_dtype_str").orElse("float32");
      Optional<ConfigNode> d = root.child("dataset_configs");
      Optional<ConfigNode> meta = root.child("dataset_meta_data");
      Optional<String> dir = Optional.empty();
      OptionalLong train = OptionalLong.empty();
      OptionalLong eval = OptionalLong.empty();
      boolean skipBad = false;
      if (d.isPresent()) {
        skipBad = d.get().optBool("skip_bad_examples").orElse(false);
        dir = d.get().optString("data_dir");
        if (dir.isEmpty()) {
          dir = d.get().optString("base_dir");
        }
        train = d.get().optLong("num_train_examples");
        eval = d.get().optLong("num_eval_examples");
      }
      if (meta.isPresent()) {
        if (train.isEmpty()) {
          train = meta.get().optLong("num_train_examples");
        }
        if (eval.isEmpty()) {
          eval = meta.get().optLong("num_eval_examples");
        }
      }
      Optional<String> dataDir = dir;
      OptionalLong nTrain = train;
      OptionalLong nEval = eval;
      boolean skip = skipBad;
      return construct(
          d.orElse(root), () -> new DatasetConfig(name, dataDir, nTrain, nEval, dtype, skip));
    }

    // ---------------------------------------------------------------- helpers

    private <E> E enumValue(
        ConfigNode n,
        String name,
        Function<String, E> lookup,
        E[] values,
        Function<E, String> scenicName) {
      String s = n.reqString(name);
      try {
        return lookup.apply(s);
      } catch (IllegalArgumentException e) {
        Set<String> allowed =
            Arrays.stream(values)
                .map(scenicName)
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        throw n.error(name, unknownValue(s, allowed));
      }
    }

    private static String unknownValue(String value, Set<String> allowed) {
      String hint =
          DidYouMean.suggest(value, allowed).map(s -> "did you mean '" + s + "'? ").orElse("");
      return "unknown value '"
          + value
          + "'; "
          + hint
          + "allowed: "
          + new java.util.TreeSet<>(allowed);
    }

    /** Runs a record constructor, reporting its validation failure against the node's key. */
    private <T> T construct(ConfigNode n, java.util.function.Supplier<T> ctor) {
      try {
        return ctor.get();
      } catch (ConfigException e) {
        throw e;
      } catch (ConfigValueException e) {
        throw new ConfigException(source, n.key(e.key()), e.problem());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            source, n.path().isEmpty() ? "(top level)" : n.path(), e.getMessage());
      }
    }

    /**
     * Reads {@code preprocessing.normalization}, or picks its default from {@code dataset_name}
     * ({@link Normalization#defaultFor}).
     */
    private Normalization normalization() {
      Optional<String> name =
          root.child(Normalization.SECTION).flatMap(p -> p.optString(Normalization.KEY));
      if (name.isEmpty()) {
        return Normalization.defaultFor(root.optString("dataset_name").orElse(""));
      }
      try {
        return Normalization.fromConfigName(name.get());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            source,
            Normalization.SECTION + "." + Normalization.KEY,
            "unknown value '"
                + name.get()
                + "'; expected one of "
                + Arrays.stream(Normalization.values()).map(Normalization::configName).toList());
      }
    }

    /**
     * Checks the top-level {@code jit} (boolean), {@code device} (cpu, gpu or auto), the float16
     * loss-scaling keys and the all-reduce bucket size.
     */
    private void runtime() {
      root.optBool(RuntimeConfig.JIT_KEY);
      double scale = root.doubleOr(LossScaleConfig.INIT_KEY, LossScaleConfig.INIT_DEFAULT);
      int growth =
          root.intOr(LossScaleConfig.GROWTH_STEPS_KEY, LossScaleConfig.GROWTH_STEPS_DEFAULT);
      construct(root, () -> new LossScaleConfig(scale, growth));
      double bucketMb =
          root.doubleOr(AllReduceConfig.BUCKET_MB_KEY, AllReduceConfig.BUCKET_MB_DEFAULT);
      construct(root, () -> new AllReduceConfig(bucketMb));
      root.optString(RuntimeConfig.DEVICE_KEY)
          .ifPresent(
              v -> {
                try {
                  RuntimeConfig.Device.parse(v);
                } catch (IllegalArgumentException e) {
                  throw root.error(RuntimeConfig.DEVICE_KEY, e.getMessage());
                }
              });
    }

    private List<String> unusedKeys() {
      List<String> out = new ArrayList<>();
      collectUnused("", document, out);
      return out;
    }

    private void collectUnused(String prefix, Map<?, ?> map, List<String> out) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
        if (e.getValue() instanceof Map<?, ?> child && !child.isEmpty()) {
          collectUnused(key, child, out);
        } else if (!used.contains(key)) {
          out.add(key);
        }
      }
    }
  }
}
