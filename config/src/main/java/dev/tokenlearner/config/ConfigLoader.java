package dev.tokenlearner.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads an {@link ExperimentConfig} from YAML or JSON (JSON is YAML 1.2, so one parser serves both)
 * with Scenic's key names. This is the one place where keys become record fields: each record reads
 * its own section ({@code ModelConfig.read}, {@code TrainConfig.read}, ...), and nothing else reads
 * the document.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>Keys under {@code model}, {@code model.tokenizer} (and its {@code patches}, {@code
 *       temporal_encoding_config}), {@code optimizer_configs} and {@code lr_configs} must be known;
 *       a misspelt one fails with a did-you-mean naming the file and dotted key. So must the keys
 *       at the top level and in {@code dataset_configs}, {@code dataset_meta_data} and {@code
 *       preprocessing}, except the Scenic keys this toolkit ignores ({@link #IGNORED_KEYS}), which
 *       are accepted and listed in {@link ExperimentConfig#unusedKeys()} (a block once), as are the
 *       fixtures' {@code fixture} notes and keys of another input kind.
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

  /** Top-level keys some record reads. */
  static final Set<String> TOP_LEVEL_KEYS =
      union(
          Set.of(
              "model_name",
              "model_dtype_str",
              "model",
              "image_size",
              "num_frames",
              "num_classes",
              "fixture",
              "dataset_name",
              "data_dtype_str",
              DatasetConfig.SECTION,
              DatasetConfig.META_SECTION,
              OptimizerSpec.KEY,
              OptimizerConfigs.KEY,
              OptimizerSpec.SKIP_SCALE_AND_BIAS,
              LrConfig.KEY,
              InitFromConfig.KEY,
              MixupConfig.KEY,
              Normalization.SECTION,
              RuntimeConfig.JIT_KEY,
              RuntimeConfig.DEVICE_KEY,
              LossScaleConfig.INIT_KEY,
              LossScaleConfig.GROWTH_STEPS_KEY,
              AllReduceConfig.BUCKET_MB_KEY,
              AllReduceConfig.DTYPE_KEY,
              AllReduceConfig.IMPL_KEY),
          TrainConfig.KEYS);

  /** Keys some record reads, per section whose keys the loader checks. */
  static final Map<String, Set<String>> SECTION_KEYS =
      Map.of(
          DatasetConfig.SECTION,
          union(DatasetConfig.KEYS, VideoDatasetConfig.KEYS, InputSpec.DATASET_KEYS),
          DatasetConfig.META_SECTION,
          Set.of("num_classes", "num_train_examples", "num_eval_examples"),
          Normalization.SECTION,
          Set.of(Normalization.KEY));

  /**
   * Keys Scenic's configs carry that this toolkit does not use, as dotted paths: they are accepted
   * and listed once (a block as a whole) in {@link ExperimentConfig#unusedKeys()}. Any other
   * unknown key at the top level, in {@code dataset_configs}, {@code dataset_meta_data} or {@code
   * preprocessing} is a {@link ConfigException} with a did-you-mean.
   *
   * <ul>
   *   <li>bookkeeping and logging: {@code experiment_name}, {@code trainer_name}, {@code
   *       write_summary}, {@code write_xm_measurements}, {@code xprof}, {@code checkpoint}, {@code
   *       debug_train}, {@code debug_eval}, {@code count_flops};
   *   <li>device placement: {@code multicrop_clips_per_device}, {@code
   *       dataset_configs.prefetch_to_device};
   *   <li>the DMVR video pipeline's own: {@code dataset_configs.tables}, {@code
   *       examples_per_subset}, {@code one_hot_labels}, {@code zero_centering}, {@code
   *       test_batch_size}, {@code augmentation_params}, {@code shuffle_buffer_size};
   *   <li>dataset metadata derived elsewhere here: {@code dataset_meta_data.input_shape}, {@code
   *       input_dtype}, {@code target_is_onehot}.
   * </ul>
   */
  public static final Set<String> IGNORED_KEYS =
      Set.of(
          "experiment_name",
          "trainer_name",
          "write_summary",
          "write_xm_measurements",
          "xprof",
          "checkpoint",
          "debug_train",
          "debug_eval",
          "count_flops",
          "multicrop_clips_per_device",
          "dataset_configs.prefetch_to_device",
          "dataset_configs.tables",
          "dataset_configs.examples_per_subset",
          "dataset_configs.one_hot_labels",
          "dataset_configs.zero_centering",
          "dataset_configs.test_batch_size",
          "dataset_configs.augmentation_params",
          "dataset_configs.shuffle_buffer_size",
          "dataset_meta_data.input_shape",
          "dataset_meta_data.input_dtype",
          "dataset_meta_data.target_is_onehot");

  private ConfigLoader() {}

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> out = new HashSet<>();
    for (Set<String> s : sets) {
      out.addAll(s);
    }
    return Set.copyOf(out);
  }

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
   * Loads a config's document again with some keys replaced (e.g. from command-line flags), so the
   * result is validated as a file would be.
   *
   * @param cfg the config
   * @param keys dotted keys ({@code num_training_steps}, {@code lr_configs.total_steps}) and their
   *     new values (nested maps, lists, strings, numbers, booleans); a {@code null} value removes
   *     the key
   * @return the changed config, or {@code cfg} when {@code keys} is empty
   * @throws ConfigException if the changed document is not a valid config
   */
  public static ExperimentConfig withKeys(ExperimentConfig cfg, Map<String, ?> keys) {
    if (keys.isEmpty()) {
      return cfg;
    }
    Map<String, Object> doc = new LinkedHashMap<>(cfg.raw());
    keys.forEach((k, v) -> set(doc, k.split("\\."), 0, v));
    return fromMap(doc, cfg.source());
  }

  /** Sets {@code path[at..]} in a copy-on-write walk down {@code map}. */
  private static void set(Map<String, Object> map, String[] path, int at, Object value) {
    String key = path[at];
    if (at == path.length - 1) {
      if (value == null) {
        map.remove(key);
      } else {
        map.put(key, value);
      }
      return;
    }
    Map<String, Object> child = new LinkedHashMap<>();
    if (map.get(key) instanceof Map<?, ?> m) {
      m.forEach((k, v) -> child.put(String.valueOf(k), v));
    }
    set(child, path, at + 1, value);
    map.put(key, child);
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
      requireKnownKeys();
      ModelName modelName = root.enumValue("model_name", ModelName.values());
      String dtype = root.optString("model_dtype_str").orElse(ExperimentConfig.MODEL_DTYPE_DEFAULT);
      ModelConfig model = ModelConfig.read(root, warnings);
      InputSpec input = InputSpec.read(root, model);
      TrainConfig train = TrainConfig.read(root);
      Optional<InitFromConfig> initFrom = InitFromConfig.read(root);
      Optional<MixupConfig> mixup = MixupConfig.read(root);
      Normalization normalization = Normalization.read(root);
      RuntimeConfig runtime = RuntimeConfig.read(root);
      LossScaleConfig lossScale = LossScaleConfig.read(root);
      AllReduceConfig allReduce = AllReduceConfig.read(root);
      for (String w : warnings) {
        LOG.warn("{}: {}", source, w);
      }
      Map<String, Object> raw = new LinkedHashMap<>();
      document.forEach((k, v) -> raw.put(String.valueOf(k), v));
      return root.construct(
          () ->
              new ExperimentConfig(
                  modelName,
                  dtype,
                  model,
                  input,
                  train,
                  normalization,
                  mixup,
                  initFrom,
                  runtime,
                  lossScale,
                  allReduce,
                  raw,
                  source,
                  unusedKeys(),
                  warnings));
    }

    /**
     * Rejects keys that are neither read nor in {@link #IGNORED_KEYS}, at the top level and in the
     * dataset sections ({@code model.*}, {@code lr_configs}, {@code mixup} and {@code init_from}
     * are checked by their readers; {@code fixture} holds the fixtures' own notes).
     */
    private void requireKnownKeys() {
      checkSection(root, TOP_LEVEL_KEYS);
      for (Map.Entry<String, Set<String>> e : SECTION_KEYS.entrySet()) {
        if (document.get(e.getKey()) instanceof Map<?, ?> m) {
          checkSection(new ConfigNode(source, e.getKey(), m, new HashSet<>()), e.getValue());
        }
      }
    }

    private static void checkSection(ConfigNode n, Set<String> read) {
      Set<String> known = new HashSet<>(read);
      for (String k : n.keys()) {
        if (IGNORED_KEYS.contains(n.key(k))) {
          known.add(k);
        }
      }
      n.requireKnownKeys(known);
    }

    private List<String> unusedKeys() {
      List<String> out = new ArrayList<>();
      collectUnused("", document, out);
      return out;
    }

    private void collectUnused(String prefix, Map<?, ?> map, List<String> out) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
        if (e.getValue() instanceof Map<?, ?> child
            && !child.isEmpty()
            && !IGNORED_KEYS.contains(key)) {
          collectUnused(key, child, out);
        } else if (!used.contains(key)) {
          out.add(key);
        }
      }
    }
  }
}
