package dev.tokenlearner.bench;

import dev.tokenlearner.config.ViTSize;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.train.profile.StepProfile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Profiles one benchmark model ({@code bench --profile CONFIG}): its forward pass and the trainer's
 * step, each after warm-up runs, with TensorFlow's step stats. Prints the top ops and the host time
 * outside {@code Session.run} and writes one Chrome trace per kind.
 */
public final class ProfileBench {

  /** Rows per top-ops table. */
  static final int TOP = 15;

  /**
   * What to profile.
   *
   * @param config the model
   * @param batch forward batch size (0 skips the forward pass)
   * @param trainBatch training-step batch size (0 skips the step)
   * @param warmup untraced runs first
   * @param steps traced runs
   * @param xla compile with XLA as {@code bench --xla} does (the trace then shows the XLA launch as
   *     one op)
   * @param outDir folder of the traces
   */
  public record Options(
      BenchConfig config,
      int batch,
      int trainBatch,
      int warmup,
      int steps,
      boolean xla,
      Path outDir) {

    /** Checks the counts. */
    public Options {
      if (batch < 0 || trainBatch < 0 || batch + trainBatch == 0) {
        throw new InvalidInputException(
            "profile needs a forward batch or a training batch, got "
                + batch
                + " and "
                + trainBatch);
      }
      if (warmup < 0 || steps < 1) {
        throw new InvalidInputException(
            "profile needs warmup >= 0 and steps >= 1, got " + warmup + " and " + steps);
      }
    }
  }

  private ProfileBench() {}

  /**
   * The standard benchmark config of that name (any ViT size, 224²), e.g. {@code Ti/16 tl8@6}.
   *
   * @param name the name, case ignored
   * @return the config
   * @throws InvalidInputException naming the choices if no config has that name
   */
  public static BenchConfig config(String name) {
    List<BenchConfig> all =
        ConfigMatrix.standard(Arrays.asList(ViTSize.values()), BenchOptions.IMAGE_SIZE);
    return all.stream()
        .filter(c -> c.name().equalsIgnoreCase(name.trim()))
        .findFirst()
        .orElseThrow(
            () ->
                new InvalidInputException(
                    "no benchmark config named '"
                        + name
                        + "'; choose one of "
                        + all.stream().map(BenchConfig::name).toList()));
  }

  /**
   * Profiles and writes {@code profile-<config>-forward.json} and {@code
   * profile-<config>-train.json} into the options' folder.
   *
   * @param o what to profile
   * @param progress progress lines
   * @return the report as Markdown
   * @throws IOException if a trace cannot be written
   */
  public static String run(Options o, PrintStream progress) throws IOException {
    StringBuilder out = new StringBuilder();
    if (o.batch() > 0) {
      out.append(profile(o, ModelRunner.Kind.FORWARD, o.batch(), progress)).append('\n');
    }
    if (o.trainBatch() > 0) {
      out.append(profile(o, ModelRunner.Kind.TRAIN_STEP, o.trainBatch(), progress));
    }
    return out.toString();
  }

  private static String profile(Options o, ModelRunner.Kind kind, int batch, PrintStream progress)
      throws IOException {
    BenchConfig c = o.config();
    String what = kind == ModelRunner.Kind.FORWARD ? "forward" : "train";
    progress.printf(
        Locale.ROOT, "profile: building %s %s%s%n", c.name(), what, o.xla() ? " (XLA)" : "");
    try (ModelRunner runner = ModelRunner.open(c, kind, SessionSettings.defaults(), 1L, o.xla());
        TFloat32 x = Inputs.images(c.input(), batch, 3L);
        TInt32 y = Inputs.labels(c.input().numClasses(), batch)) {
      for (int i = 0; i < o.warmup(); i++) {
        runner.run(x, y);
      }
      StepProfile p = new StepProfile(runner.graph());
      for (int i = 0; i < o.steps(); i++) {
        runner.runTraced(x, y, p);
      }
      Path file = o.outDir().resolve("profile-" + slug(c.name()) + "-" + what + ".json");
      p.writeChromeTrace(file);
      progress.println("profile: Chrome trace " + file.toAbsolutePath());
      String title =
          String.format(
              Locale.ROOT,
              "%s %s, batch %d%s (Chrome trace %s)",
              c.name(),
              kind == ModelRunner.Kind.FORWARD ? "forward pass" : "training step",
              batch,
              o.xla() ? ", XLA" : "",
              file);
      return p.toMarkdown(title, TOP);
    }
  }

  /** A file-name form of a config name: {@code Ti/16 tl8@6+fuser} to {@code ti16-tl8at6-fuser}. */
  static String slug(String name) {
    return name.toLowerCase(Locale.ROOT)
        .replace("/", "")
        .replace("@", "at")
        .replaceAll("[^a-z0-9]+", "-")
        .replaceAll("^-|-$", "");
  }
}
