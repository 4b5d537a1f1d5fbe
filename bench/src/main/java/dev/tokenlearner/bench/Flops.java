package dev.tokenlearner.bench;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.ModelName;
import dev.tokenlearner.graph.flops.FlopCounter;
import dev.tokenlearner.graph.flops.FlopReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The analytic FLOP count of a benchmark config, from the project's {@link FlopCounter}.
 *
 * <p>FLOPs are per example of the inference forward pass; a multiply-add counts 2.
 */
public final class Flops {

  private Flops() {}

  /**
   * Counts the config's forward FLOPs and those of its plain ViT.
   *
   * @param config the benchmark config
   * @return the counter's report; {@link FlopReport#flopRatio()} is plain / this
   */
  public static FlopReport count(BenchConfig config) {
    return FlopCounter.count(experiment(config));
  }

  /**
   * The benchmark config as an experiment config, the form the FLOP counter reads.
   *
   * @param config the benchmark config
   * @return an experiment with the config's model, image size and class count
   */
  static ExperimentConfig experiment(BenchConfig config) {
    var m = config.model();
    var in = config.input();
    // A minimal plain-ViT document fixes the input; the model is then swapped in whole so no
    // field goes through a second spelling.
    Map<String, Object> tokenizer = new LinkedHashMap<>();
    tokenizer.put("type", "patch");
    tokenizer.put(
        "patches", Map.of("size", List.of(m.tokenizer().patchH(), m.tokenizer().patchW())));
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("hidden_size", m.hiddenSize());
    model.put("num_heads", m.numHeads());
    model.put("mlp_dim", m.mlpDim());
    model.put("num_layers", m.numLayers());
    model.put("classifier", m.classifier().scenicName());
    model.put("tokenizer", tokenizer);
    Map<String, Object> dataset = new LinkedHashMap<>();
    dataset.put("image_size", List.of(in.height(), in.width()));
    dataset.put("num_classes", in.numClasses());
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("model_name", ModelName.CLASSIFICATION.scenicName());
    doc.put("dataset_configs", dataset);
    doc.put("model", model);
    return ConfigLoader.fromMap(doc, "bench:" + config.name()).withModel(m);
  }
}
