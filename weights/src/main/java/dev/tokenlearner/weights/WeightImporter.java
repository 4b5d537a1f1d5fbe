package dev.tokenlearner.weights;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.config.TokenGrid;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.graph.Names;
import dev.tokenlearner.ops.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Session;

/**
 * Fills a graph's {@link ParameterStore} from a {@link Checkpoint} by Flax path.
 *
 * <p>Strict by default: the checkpoint must hold exactly the model's parameters with the model's
 * shapes; otherwise one {@link CheckpointMismatchException} lists every missing, unexpected and
 * wrongly shaped path with both shapes, and nothing is assigned. {@link ImportOptions} relaxes this
 * the way Scenic's fine-tuning initialisation does (fresh head, resized position embedding, ViT
 * checkpoints without {@code cls}/{@code pre_logits} or TokenLearner parameters).
 */
public final class WeightImporter {

  private static final Logger LOG = LoggerFactory.getLogger(WeightImporter.class);

  /** Flax path of ViT's class token, which TokenLearnerViT does not have. */
  public static final String CLS = "cls";

  private static final String TRANSFORMER_PREFIX = Names.TRANSFORMER + "/";
  private static final String TOKEN_LEARNER_PREFIX = TRANSFORMER_PREFIX + "TokenLearnerModule";
  private static final String TOKEN_FUSER_PREFIX = TRANSFORMER_PREFIX + "TokenFuser_";

  private WeightImporter() {}

  /**
   * Works out what to assign without touching a graph.
   *
   * @param model the model's parameter shapes by Flax path ({@link ParameterStore#shapes()})
   * @param grid the model's token grid, for resizing the position embedding; may be null when
   *     {@code options.resizePosEmbedding()} is off
   * @param checkpoint the parameters read from disk
   * @param options how strictly to match
   * @return the values to assign and what stays fresh
   * @throws CheckpointMismatchException listing every mismatch, when the checkpoint does not fit
   */
  public static ImportPlan plan(
      Map<String, long[]> model, TokenGrid grid, Checkpoint checkpoint, ImportOptions options) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(checkpoint, "checkpoint");
    Objects.requireNonNull(options, "options");
    Map<String, HostArray> source = checkpoint.params();
    boolean sourceHasTokenLearner =
        source.keySet().stream().anyMatch(WeightImporter::isTokenLearnerPath);
    boolean freshTokenLearner = options.allowInitFromVit() && !sourceHasTokenLearner;

    Map<String, HostArray> values = new LinkedHashMap<>();
    List<String> fresh = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    List<String> adapted = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    List<ParameterMismatch> missing = new ArrayList<>();
    List<ParameterMismatch> unexpected = new ArrayList<>();
    List<ParameterMismatch> wrong = new ArrayList<>();

    for (Map.Entry<String, long[]> e : model.entrySet()) {
      String path = e.getKey();
      long[] expected = e.getValue();
      HostArray found = source.get(path);
      if (options.dropHead() && isHead(path)) {
        fresh.add(path);
      } else if (found == null) {
        if (freshTokenLearner && isTokenLearnerPath(path)) {
          fresh.add(path);
        } else {
          missing.add(ParameterMismatch.missing(path, expected));
        }
      } else if (Arrays.equals(found.shape(), expected)) {
        values.put(path, found);
      } else if (path.equals(PositionEmbeddings.PATH) && options.resizePosEmbedding()) {
        try {
          HostArray resized = resizePosEmbedding(found, expected, grid);
          values.put(path, resized);
          adapted.add(path + ": " + found.shapeString() + " -> " + resized.shapeString());
        } catch (IllegalArgumentException ex) {
          wrong.add(ParameterMismatch.wrongShape(path, expected, found.shape(), ex.getMessage()));
        }
      } else {
        wrong.add(
            ParameterMismatch.wrongShape(
                path, expected, found.shape(), hint(path, expected, found.shape())));
      }
    }
    for (Map.Entry<String, HostArray> e : source.entrySet()) {
      String path = e.getKey();
      if (model.containsKey(path)) {
        if (options.dropHead() && isHead(path)) {
          ignored.add(path);
        }
        continue;
      }
      if (options.dropHead() && isHead(path)) {
        ignored.add(path);
      } else if (options.ignoreClassTokenAndPreLogits() && isClassTokenOrPreLogits(path)) {
        ignored.add(path);
      } else {
        unexpected.add(ParameterMismatch.unexpected(path, e.getValue().shape()));
      }
    }

    List<ParameterMismatch> all = new ArrayList<>(missing);
    all.addAll(unexpected);
    all.addAll(wrong);
    if (!all.isEmpty()) {
      throw new CheckpointMismatchException(String.valueOf(checkpoint.source()), all);
    }
    List<String> freshTl = fresh.stream().filter(WeightImporter::isTokenLearnerPath).toList();
    if (!freshTl.isEmpty()) {
      warnings.add(
          "checkpoint "
              + checkpoint.source()
              + " has no TokenLearner/TokenFuser parameters; initialised fresh: "
              + String.join(", ", freshTl));
    }
    if (!adapted.isEmpty()) {
      warnings.add("adapted: " + String.join("; ", adapted));
    }
    warnings.forEach(LOG::warn);
    return new ImportPlan(values, fresh, ignored, adapted, warnings);
  }

  /**
   * Plans the import and assigns it: the graph's initialisers run, parameters in {@link
   * ImportPlan#fresh()} get {@link ParameterStore#initialValues(long)} with {@code
   * options.initSeed()}, and all others get the checkpoint's values.
   *
   * @param session a session on the store's graph
   * @param store the graph's parameters
   * @param grid the model's token grid (for position-embedding resizing); may be null when that
   *     option is off
   * @param checkpoint the parameters read from disk
   * @param options how strictly to match
   * @return what was assigned
   * @throws CheckpointMismatchException listing every mismatch; nothing is assigned then
   */
  public static ImportPlan load(
      Session session,
      ParameterStore store,
      TokenGrid grid,
      Checkpoint checkpoint,
      ImportOptions options) {
    ImportPlan plan = plan(store.shapes(), grid, checkpoint, options);
    Map<String, HostArray> all = new HashMap<>(plan.values());
    if (!plan.fresh().isEmpty()) {
      Map<String, HostArray> init = store.initialValues(options.initSeed());
      plan.fresh().forEach(p -> all.put(p, init.get(p)));
    }
    session.initialize();
    store.weights().load(session, all);
    return plan;
  }

  /**
   * The fix for a position embedding whose token count differs while its width matches: the
   * config's image or patch size gives another token grid than the checkpoint was trained with.
   */
  private static String hint(String path, long[] expected, long[] found) {
    if (path.equals(PositionEmbeddings.PATH)
        && expected.length == 3
        && found.length == 3
        && expected[2] == found[2]
        && expected[1] != found[1]) {
      return "the config's image and patch size give "
          + expected[1]
          + " tokens, the checkpoint has "
          + found[1]
          + "; import with --resize-posemb (ImportOptions.Builder.resizePosEmbedding) to resize it"
          + " as Scenic does";
    }
    return "";
  }

  private static HostArray resizePosEmbedding(HostArray found, long[] expected, TokenGrid grid) {
    if (grid == null) {
      throw new IllegalArgumentException("no token grid given to resize to");
    }
    if (grid.tDims() != 1) {
      throw new IllegalArgumentException("resizing is supported for image models only");
    }
    if (expected.length != 3 || found.rank() != 3 || found.shape()[2] != expected[2]) {
      throw new IllegalArgumentException("hidden sizes differ");
    }
    if (expected[1] != (long) grid.gridH() * grid.gridW()) {
      throw new IllegalArgumentException(
          "model grid "
              + grid.gridH()
              + "x"
              + grid.gridW()
              + " does not give "
              + expected[1]
              + " tokens");
    }
    return PositionEmbeddings.adapt(found, grid.gridH(), grid.gridW());
  }

  /** Whether a path belongs to a TokenLearner or TokenFuser module. */
  static boolean isTokenLearnerPath(String path) {
    return path.startsWith(TOKEN_LEARNER_PREFIX) || path.startsWith(TOKEN_FUSER_PREFIX);
  }

  private static boolean isHead(String path) {
    return path.startsWith(Names.OUTPUT_PROJECTION + "/");
  }

  private static boolean isClassTokenOrPreLogits(String path) {
    return path.equals(CLS) || path.startsWith(Names.PRE_LOGITS + "/");
  }
}
