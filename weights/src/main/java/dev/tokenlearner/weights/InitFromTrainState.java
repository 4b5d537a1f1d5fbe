package dev.tokenlearner.weights;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.config.TokenGrid;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.graph.Names;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Plans fine-tuning initialisation from another checkpoint, as Scenic's {@code
 * init_token_learner_from_train_state} and ViViT's {@code init_posemb} / {@code init_embedding} do,
 * on top of {@link WeightImporter}'s strict path/shape matching.
 *
 * <ul>
 *   <li>{@code output_projection} is restored when its shapes fit the model, else (another class
 *       count) left fresh and the checkpoint's head ignored;
 *   <li>{@code embedding}: restored unless {@code restoreInputEmbedding} is off; a 2-D kernel
 *       {@code [fh, fw, C, D]} for a {@code 3d_conv} model's {@code [ft, fh, fw, C, D]} is
 *       inflated: {@code central_frame_initializer} puts it at frame {@code ft / 2} (zeros
 *       elsewhere), {@code average_frame_initializer} repeats it divided by {@code ft};
 *   <li>{@code Transformer/posembed_input/pos_embedding}: restored unless {@code
 *       restorePositionalEmbedding} is off; another length is adapted (a class-token row dropped
 *       first) by {@code resize} (bilinear to the model's grid, {@link PositionEmbeddings}), {@code
 *       tile} (repeated over frames) or {@code resize_tile} (resized to one frame's grid, then
 *       repeated);
 *   <li>{@code cls} and {@code pre_logits} the model lacks are ignored; TokenLearner/TokenFuser
 *       parameters stay fresh when the checkpoint has none (a ViT checkpoint).
 * </ul>
 *
 * Anything else that does not fit raises the {@link CheckpointMismatchException} an import gives.
 */
public final class InitFromTrainState {

  /** Flax path of the patch-embedding kernel. */
  public static final String EMBEDDING_KERNEL = "embedding/kernel";

  /** Centre-frame inflation of a 2-D patch-embedding kernel (Scenic's name). */
  public static final String CENTRAL_FRAME = "central_frame_initializer";

  /** Average inflation ("filter inflation") of a 2-D patch-embedding kernel (Scenic's name). */
  public static final String AVERAGE_FRAME = "average_frame_initializer";

  private static final String EMBEDDING_PREFIX = "embedding/";
  private static final String HEAD_PREFIX = Names.OUTPUT_PROJECTION + "/";

  private InitFromTrainState() {}

  /**
   * What to restore and how to adapt it.
   *
   * @param restorePositionalEmbedding take the position embedding from the checkpoint
   * @param positionalEmbedSizeChange {@code resize}, {@code tile} or {@code resize_tile}
   * @param restoreInputEmbedding take the patch embedding from the checkpoint
   * @param kernelInitMethod the model's {@code temporal_encoding_config.kernel_init_method}, used
   *     when a 2-D kernel must be inflated
   * @param initSeed seed of the parameters left fresh (passed on to {@link ImportOptions})
   */
  public record Options(
      boolean restorePositionalEmbedding,
      String positionalEmbedSizeChange,
      boolean restoreInputEmbedding,
      Optional<String> kernelInitMethod,
      long initSeed) {

    /** Checks the fields. */
    public Options {
      Objects.requireNonNull(positionalEmbedSizeChange, "positionalEmbedSizeChange");
      Objects.requireNonNull(kernelInitMethod, "kernelInitMethod");
    }
  }

  /**
   * Works out the values to assign.
   *
   * @param model the model's parameter shapes by Flax path
   * @param grid the model's token grid
   * @param checkpoint the parameters to start from
   * @param options what to restore
   * @return the plan: {@code values} restored (some adapted, listed in {@code adapted} as {@code
   *     "resized ..."}, {@code "tiled ..."} or {@code "inflated ..."}), {@code fresh} left at their
   *     initial values, {@code ignored} checkpoint entries not used
   * @throws CheckpointMismatchException listing every path that does not fit
   */
  public static ImportPlan plan(
      Map<String, long[]> model, TokenGrid grid, Checkpoint checkpoint, Options options) {
    Objects.requireNonNull(grid, "grid");
    Map<String, HostArray> source = new TreeMap<>(checkpoint.params());
    Map<String, long[]> target = new LinkedHashMap<>(model);
    List<String> fresh = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    List<String> adapted = new ArrayList<>();
    Map<String, String> failures = new LinkedHashMap<>();

    boolean headFits =
        model.keySet().stream()
            .filter(p -> p.startsWith(HEAD_PREFIX))
            .allMatch(
                p -> source.containsKey(p) && Arrays.equals(source.get(p).shape(), model.get(p)));
    if (!headFits) {
      keepFresh(HEAD_PREFIX, target, source, fresh, ignored);
    }
    if (!options.restoreInputEmbedding()) {
      keepFresh(EMBEDDING_PREFIX, target, source, fresh, ignored);
    } else {
      HostArray k = source.get(EMBEDDING_KERNEL);
      long[] want = model.get(EMBEDDING_KERNEL);
      if (k != null && want != null && !Arrays.equals(k.shape(), want)) {
        try {
          HostArray inflated = inflate(k, want, options.kernelInitMethod());
          source.put(EMBEDDING_KERNEL, inflated);
          adapted.add(
              "inflated "
                  + EMBEDDING_KERNEL
                  + ": "
                  + k.shapeString()
                  + " -> "
                  + inflated.shapeString()
                  + " ("
                  + options.kernelInitMethod().orElse("")
                  + ")");
        } catch (IllegalArgumentException e) {
          failures.put(EMBEDDING_KERNEL, e.getMessage());
        }
      }
    }
    String pos = PositionEmbeddings.PATH;
    if (!options.restorePositionalEmbedding()) {
      keepFresh(pos, target, source, fresh, ignored);
    } else if (source.containsKey(pos)
        && model.containsKey(pos)
        && !Arrays.equals(source.get(pos).shape(), model.get(pos))) {
      HostArray found = source.get(pos);
      try {
        HostArray a = adaptPosEmbedding(found, model.get(pos), grid, options);
        source.put(pos, a);
        adapted.add(
            (options.positionalEmbedSizeChange().equals("tile") ? "tiled " : "resized ")
                + pos
                + ": "
                + found.shapeString()
                + " -> "
                + a.shapeString()
                + " ("
                + options.positionalEmbedSizeChange()
                + ")");
      } catch (IllegalArgumentException e) {
        failures.put(pos, e.getMessage());
      }
    }

    Checkpoint adaptedCheckpoint =
        new Checkpoint(
            checkpoint.source(),
            checkpoint.format(),
            checkpoint.layout(),
            checkpoint.step(),
            new TreeMap<>(source));
    ImportOptions importOptions =
        ImportOptions.initFromVit().toBuilder()
            .resizePosEmbedding(false)
            .initSeed(options.initSeed())
            .build();
    ImportPlan p;
    try {
      p = WeightImporter.plan(target, grid, adaptedCheckpoint, importOptions);
    } catch (CheckpointMismatchException e) {
      if (failures.isEmpty()) {
        throw e;
      }
      List<ParameterMismatch> noted = new ArrayList<>();
      for (ParameterMismatch m : e.mismatches()) {
        String why = failures.get(m.path());
        noted.add(
            why == null
                ? m
                : new ParameterMismatch(m.kind(), m.path(), m.expected(), m.found(), why));
      }
      throw new CheckpointMismatchException(String.valueOf(checkpoint.source()), noted);
    }
    fresh.addAll(p.fresh());
    ignored.addAll(p.ignored());
    adapted.addAll(p.adapted());
    return new ImportPlan(p.values(), fresh, ignored, adapted, p.warnings());
  }

  /** Moves every model path under {@code prefix} to fresh and every source path to ignored. */
  private static void keepFresh(
      String prefix,
      Map<String, long[]> target,
      Map<String, HostArray> source,
      List<String> fresh,
      List<String> ignored) {
    for (String p : List.copyOf(target.keySet())) {
      if (p.startsWith(prefix)) {
        target.remove(p);
        fresh.add(p);
      }
    }
    for (String p : List.copyOf(source.keySet())) {
      if (p.startsWith(prefix)) {
        source.remove(p);
        ignored.add(p);
      }
    }
  }

  /**
   * Inflates a 2-D patch-embedding kernel over time, as Scenic's {@code init_embedding}.
   *
   * @param kernel {@code [fh, fw, C, D]}
   * @param want the model's {@code [ft, fh, fw, C, D]}
   * @param method {@link #CENTRAL_FRAME} or {@link #AVERAGE_FRAME}
   * @return {@code [ft, fh, fw, C, D]}
   * @throws IllegalArgumentException if the shapes are not a 2-D and a 3-D kernel that agree except
   *     for time, or the method is missing or unknown
   */
  public static HostArray inflate(HostArray kernel, long[] want, Optional<String> method) {
    long[] k = kernel.shape();
    if (want.length != 5 || k.length != 4 || !Arrays.equals(Arrays.copyOfRange(want, 1, 5), k)) {
      throw new IllegalArgumentException(
          "kernels differ beyond the temporal dimension; only a 2-D kernel [fh, fw, C, D] can be"
              + " inflated to a 3d_conv kernel [ft, fh, fw, C, D]");
    }
    String m =
        method.orElseThrow(
            () ->
                new IllegalArgumentException(
                    "inflating a 2-D kernel needs"
                        + " model.tokenizer.temporal_encoding_config.kernel_init_method ("
                        + CENTRAL_FRAME
                        + " or "
                        + AVERAGE_FRAME
                        + ")"));
    int t = Math.toIntExact(want[0]);
    float[] in = kernel.data();
    float[] out = new float[in.length * t];
    switch (m) {
      case CENTRAL_FRAME -> System.arraycopy(in, 0, out, (t / 2) * in.length, in.length);
      case AVERAGE_FRAME -> {
        for (int f = 0; f < t; f++) {
          for (int i = 0; i < in.length; i++) {
            out[f * in.length + i] = in[i] / t;
          }
        }
      }
      default ->
          throw new IllegalArgumentException(
              "unknown kernel_init_method '"
                  + m
                  + "'; expected "
                  + CENTRAL_FRAME
                  + " or "
                  + AVERAGE_FRAME);
    }
    return new HostArray(want.clone(), out);
  }

  /**
   * Adapts a position embedding {@code [1, N_src, D]} to the model's {@code [1, N, D]}.
   *
   * @throws IllegalArgumentException if the hidden sizes differ or the method cannot reach N
   */
  static HostArray adaptPosEmbedding(
      HostArray found, long[] want, TokenGrid grid, Options options) {
    if (want.length != 3 || found.rank() != 3 || found.shape()[2] != want[2]) {
      throw new IllegalArgumentException("hidden sizes differ");
    }
    int d = Math.toIntExact(want[2]);
    int n = Math.toIntExact(want[1]);
    switch (options.positionalEmbedSizeChange()) {
      case "resize" -> {
        if (grid.tDims() != 1) {
          throw new IllegalArgumentException(
              "'resize' is for image models; a video model needs"
                  + " init_from.positional_embed_size_change 'tile' or 'resize_tile'");
        }
        return PositionEmbeddings.adapt(found, grid.gridH(), grid.gridW());
      }
      case "tile" -> {
        HostArray grid1 = withoutClassToken(found, n);
        return tile(grid1, n, d);
      }
      case "resize_tile" -> {
        HostArray frame = PositionEmbeddings.adapt(found, grid.gridH(), grid.gridW());
        return tile(frame, n, d);
      }
      default ->
          throw new IllegalArgumentException(
              "unknown positional_embed_size_change '" + options.positionalEmbedSizeChange() + "'");
    }
  }

  private static HostArray withoutClassToken(HostArray found, int target) {
    int n = Math.toIntExact(found.shape()[1]);
    int d = Math.toIntExact(found.shape()[2]);
    if (n > 1 && target % n != 0 && target % (n - 1) == 0) {
      return new HostArray(
          new long[] {1, n - 1, d}, Arrays.copyOfRange(found.data(), d, found.data().length));
    }
    return found;
  }

  private static HostArray tile(HostArray src, int n, int d) {
    int m = Math.toIntExact(src.shape()[1]);
    if (n % m != 0) {
      throw new IllegalArgumentException(
          "cannot tile " + m + " positions to " + n + " (not a multiple)");
    }
    float[] out = new float[n * d];
    for (int r = 0; r < n / m; r++) {
      System.arraycopy(src.data(), 0, out, r * m * d, m * d);
    }
    return new HostArray(new long[] {1, n, d}, out);
  }
}
