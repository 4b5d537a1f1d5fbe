package dev.tokenlearner.train;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.InitFromConfig;
import dev.tokenlearner.config.TemporalEncodingConfig;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.weights.ImportPlan;
import dev.tokenlearner.weights.InitFromTrainState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Session;

/**
 * Scenic's {@code init_from} for the trainer: a fresh run (step 0, fresh optimizer state) whose
 * parameters come from another checkpoint, adapted by {@link InitFromTrainState}.
 *
 * <p>Applied after the fresh initialisation, so parameters the checkpoint does not supply keep
 * their fresh values, {@code init_head_bias} included (it thus only affects a fresh head). Every
 * restored, adapted, fresh and ignored path is logged, then a one-line summary.
 */
final class InitFrom {

  private static final Logger LOG = LoggerFactory.getLogger(InitFrom.class);

  private InitFrom() {}

  /**
   * Overwrites freshly initialised parameters with the checkpoint's, when the config has {@code
   * init_from.checkpoint_path}.
   *
   * @param cfg the experiment
   * @param store the training graph's parameters, already initialised
   * @param session a session on the store's graph
   * @return the plan that was applied, or empty when the config has no {@code init_from}
   * @throws dev.tokenlearner.weights.CheckpointMismatchException listing every path that does not
   *     fit; nothing is assigned then
   * @throws IOException if the checkpoint cannot be read
   */
  static Optional<ImportPlan> apply(ExperimentConfig cfg, ParameterStore store, Session session)
      throws IOException {
    Optional<InitFromConfig> init = cfg.initFrom();
    if (init.isEmpty()) {
      return Optional.empty();
    }
    InitFromConfig c = init.get();
    Checkpoint ckpt = Checkpoints.read(Path.of(c.checkpointPath()));
    InitFromTrainState.Options options =
        new InitFromTrainState.Options(
            c.restorePositionalEmbedding(),
            c.positionalEmbedSizeChange(),
            c.restoreInputEmbedding(),
            cfg.model()
                .tokenizer()
                .temporalEncoding()
                .flatMap(TemporalEncodingConfig::kernelInitMethod),
            cfg.train().rngSeed());
    ImportPlan plan = InitFromTrainState.plan(store.shapes(), cfg.tokenGrid(), ckpt, options);
    store.weights().assign(session, plan.values());
    log(ckpt, plan);
    return Optional.of(plan);
  }

  private static void log(Checkpoint ckpt, ImportPlan plan) {
    Set<String> adaptedPaths = new TreeSet<>();
    for (String a : plan.adapted()) {
      String path = a.substring(a.indexOf(' ') + 1, a.indexOf(':'));
      adaptedPaths.add(path);
      LOG.info("init_from: {}", a);
    }
    for (String p : plan.values().keySet()) {
      if (!adaptedPaths.contains(p)) {
        LOG.info("init_from: restored {} {}", p, plan.values().get(p).shapeString());
      }
    }
    plan.fresh().forEach(p -> LOG.info("init_from: fresh {}", p));
    plan.ignored().forEach(p -> LOG.info("init_from: ignored {} of the checkpoint", p));
    LOG.info(
        "init_from {} ({}, {}): {} restored ({} adapted), {} fresh, {} ignored; optimizer state"
            + " fresh at step 0",
        ckpt.source(),
        ckpt.format(),
        ckpt.layout(),
        plan.values().size(),
        plan.adapted().size(),
        plan.fresh().size(),
        plan.ignored().size());
  }
}
