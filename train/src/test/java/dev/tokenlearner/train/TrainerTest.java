package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Checkpoint;
import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.checkpoint.FlaxMsgpackReader;
import dev.tokenlearner.checkpoint.FlaxTrainState;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.Predict;
import dev.tokenlearner.export.WorkdirExport;
import dev.tokenlearner.graph.TokenLearnerViT;
import dev.tokenlearner.graph.maps.MapPanels;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.ModuleScope;
import dev.tokenlearner.ops.ParameterStore;
import dev.tokenlearner.train.data.BatchProducer;
import dev.tokenlearner.train.data.Datasets;
import dev.tokenlearner.train.data.ImageDataset;
import dev.tokenlearner.train.data.TfRecords;
import dev.tokenlearner.train.data.TrainOrder;
import dev.tokenlearner.train.summary.MetricsLog;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;
import org.tensorflow.types.TFloat32;

class TrainerTest {

  @TempDir Path dir;

  /** Tiny run with dropout (so the per-step dropout key matters), checkpoints every 3 steps. */
  private static ExperimentConfig resumable() {
    return TestConfigs.tiny(
        "num_training_steps: 6",
        "checkpoint_steps: 3",
        "log_eval_steps: 3",
        "log_summary_steps: 2",
        "model: {dropout_rate: 0.1, attention_dropout_rate: 0.1}",
        "optimizer_configs: {weight_decay: 0.01}",
        "max_grad_norm: 0.5",
        """
        lr_configs:
          learning_rate_schedule: compound
          factors: constant*linear_warmup*linear_decay
          warmup_steps: 2
          total_steps: 6
          base_learning_rate: 2.0e-3
        """);
  }

  private static void assertSameState(FlaxTrainState a, FlaxTrainState b) {
    assertEquals(a.step(), b.step());
    assertEquals(a.params().keySet(), b.params().keySet());
    a.params().forEach((k, v) -> assertArrayEquals(v.data(), b.params().get(k).data(), k));
    assertEquals(a.optState(), b.optState());
  }

  @Test
  void run_interruptedThenResumed_equalsUninterruptedRun() throws Exception {
    ExperimentConfig cfg = resumable();
    Path full = dir.resolve("full");
    Path parts = dir.resolve("parts");
    TrainSummary a = Trainer.run(cfg, full, false, Optional.empty(), TrainOptions.quiet());
    TrainSummary b1 =
        Trainer.run(cfg, parts, false, Optional.empty(), TrainOptions.quiet().stopAfter(3));
    assertEquals(3, b1.finalStep());
    assertEquals(List.of(parts.resolve("checkpoint_3")), b1.checkpoints());
    TrainSummary b2 = Trainer.run(cfg, parts, true, Optional.empty(), TrainOptions.quiet());
    assertEquals(3, b2.startStep());
    assertEquals(6, b2.finalStep());
    assertEquals(a.finalStep(), b2.finalStep());
    FlaxTrainState sa = FlaxMsgpackReader.readTrainState(full.resolve("checkpoint_6"));
    FlaxTrainState sb = FlaxMsgpackReader.readTrainState(parts.resolve("checkpoint_6"));
    assertSameState(sa, sb);
    assertEquals(a.evalAccuracy(), b2.evalAccuracy());
    // the resumed run's history continues the interrupted one's: same evaluations, steps in order
    List<MetricsLog.Row> ra = MetricsLog.read(a.metricsCsv());
    List<MetricsLog.Row> rb = MetricsLog.read(b2.metricsCsv());
    assertEquals(
        ra.stream().filter(r -> r.split().equals("eval")).toList(),
        rb.stream().filter(r -> r.split().equals("eval")).toList());
    for (int i = 1; i < rb.size(); i++) {
      assertTrue(rb.get(i - 1).step() <= rb.get(i).step(), "rows out of order: " + rb);
    }
  }

  @Test
  void snapshot_writtenCheckpoint_roundTripsThroughImporterAndResume() throws Exception {
    ExperimentConfig cfg = resumable();
    ImageDataset ds = Datasets.open(cfg, Optional.empty());
    TrainOrder order = new TrainOrder(3, 16, ds.numTrain());
    try (TrainStep g =
        TrainStep.builder(cfg).sessionConfig(ConfigProto.getDefaultInstance()).build()) {
      g.initialize(3, cfg.train().initHeadBias());
      for (int s = 0; s < 2; s++) {
        g.run(BatchProducer.build(ds, order, 16, s));
      }
      FlaxTrainState state = g.snapshot();
      Path file = dev.tokenlearner.checkpoint.FlaxMsgpackWriter.save(dir, state, 2);
      assertEquals(dir.resolve("checkpoint_2"), file);
      Checkpoint imported = Checkpoints.read(file);
      assertEquals(2L, imported.step().getAsLong());
      Map<String, HostArray> live = g.params();
      assertEquals(live.keySet(), imported.params().keySet());
      live.forEach((k, v) -> assertArrayEquals(v.data(), imported.params().get(k).data(), k));
      // adamw: Scenic's chain state {"0": {"0": {count, mu, nu}, "1": {}, "2": {count}}}
      FlaxTrainState back = FlaxMsgpackReader.readTrainState(file);
      Map<?, ?> chain = (Map<?, ?>) back.optState().get("0");
      assertEquals(List.of("0", "1", "2"), List.copyOf(chain.keySet()));
      assertEquals(2, ((Map<?, ?>) chain.get("0")).get("count"));
      assertArrayEquals(TrainStateIo.prngKey(3), back.rng());
      try (TrainStep fresh =
          TrainStep.builder(cfg).sessionConfig(ConfigProto.getDefaultInstance()).build()) {
        fresh.restore(back);
        assertEquals(2, fresh.globalStep());
        assertSameState(state, fresh.snapshot());
      }
    }
  }

  @Test
  void run_summaries_tensorBoardEventsMatchMetricsCsv() throws Exception {
    ExperimentConfig cfg = resumable();
    TrainSummary s = Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet());
    List<Path> events;
    try (Stream<Path> files = Files.list(s.tensorboardDir())) {
      events =
          files.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).toList();
    }
    assertEquals(1, events.size());
    List<float[]> losses = new ArrayList<>();
    List<String> tags = new ArrayList<>();
    List<String> mapImages = new ArrayList<>();
    for (byte[] rec : TfRecords.readAll(events.get(0))) {
      Event e = Event.parseFrom(rec);
      for (Summary.Value v : e.getSummary().getValueList()) {
        tags.add(v.getTag());
        if (v.getTag().startsWith(Trainer.TOKEN_MAPS_TAG + "/")) {
          // the maps of a held-out example: input + one panel per token (4), decoded from PNG
          assertTrue(v.hasImage(), v.getTag());
          BufferedImage img =
              ImageIO.read(
                  new ByteArrayInputStream(v.getImage().getEncodedImageString().toByteArray()));
          assertEquals(img.getWidth(), v.getImage().getWidth());
          // 16x16 inputs are drawn 7 times larger: 112-pixel panels
          assertEquals(MapPanels.GAP + 5 * (112 + MapPanels.GAP), img.getWidth(), v.getTag());
          assertEquals(MapPanels.HEADER + 112 + MapPanels.GAP, img.getHeight(), v.getTag());
          mapImages.add(e.getStep() + " " + v.getTag());
        }
        float value = v.hasTensor() ? v.getTensor().getFloatVal(0) : v.getSimpleValue();
        if (v.getTag().equals("train/loss")) {
          losses.add(new float[] {e.getStep(), value});
        }
      }
    }
    assertTrue(
        tags.containsAll(
            List.of(
                "train/loss",
                "train/accuracy",
                "train/learning_rate",
                "train/grad_norm",
                "eval/loss",
                "eval/accuracy")),
        tags.toString());
    // the same three held-out examples at both evaluations (steps 3 and 6)
    assertEquals(
        List.of(
            "3 token_maps/example_0/image",
            "3 token_maps/example_1/image",
            "3 token_maps/example_2/image",
            "6 token_maps/example_0/image",
            "6 token_maps/example_1/image",
            "6 token_maps/example_2/image"),
        mapImages);
    List<MetricsLog.Row> csv =
        MetricsLog.read(s.metricsCsv()).stream()
            .filter(r -> r.split().equals("train") && r.name().equals("loss"))
            .toList();
    assertEquals(csv.size(), losses.size());
    for (int i = 0; i < csv.size(); i++) {
      assertEquals(csv.get(i).step(), (long) losses.get(i)[0]);
      assertEquals(csv.get(i).value(), losses.get(i)[1], 1e-6);
    }
    assertTrue(Files.size(s.curvesPng()) > 1000);
    assertEquals(
        List.of(dir.resolve("checkpoint_3"), dir.resolve("checkpoint_6")), s.checkpoints());
  }

  @Test
  void run_hugeLearningRate_stopsWithDivergenceKeepingLastGoodCheckpoint() throws Exception {
    ExperimentConfig cfg =
        TestConfigs.tiny(
            "num_training_steps: 20",
            "checkpoint_steps: 1",
            "lr_configs: {learning_rate_schedule: compound, factors: constant, base_learning_rate:"
                + " 3.0e+38}");
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () -> Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet()));
    assertTrue(e.getMessage().contains("step " + e.step()), e.getMessage());
    assertFalse(Double.isFinite(e.loss()));
    Path last = dir.resolve("checkpoint_" + (e.step() - 1));
    assertEquals(Optional.of(last), e.lastGoodCheckpoint());
    assertTrue(e.getMessage().contains(last.toString()), e.getMessage());
    assertEquals(Optional.of(last), Checkpoints.latest(dir));
  }

  @Test
  void run_workdirWithCheckpointsWithoutResume_throwsWorkdirInUseNamingTheFix() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("num_training_steps: 1");
    Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet());
    WorkdirInUseException e =
        assertThrows(
            WorkdirInUseException.class,
            () -> Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet()));
    assertEquals(
        dir
            + " already holds checkpoint_1; add --resume to continue that run, or give another"
            + " --workdir",
        e.getMessage());
  }

  @Test
  void run_imageFolderOverride_trainsOnTheFolder() throws Exception {
    Path data = dir.resolve("folder");
    java.util.SplittableRandom r = new java.util.SplittableRandom(2);
    for (int c = 0; c < 4; c++) {
      Path cls = Files.createDirectories(data.resolve("class" + c));
      for (int i = 0; i < 10; i++) {
        java.awt.image.BufferedImage img =
            new java.awt.image.BufferedImage(20, 18, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 18; y++) {
          for (int x = 0; x < 20; x++) {
            img.setRGB(x, y, ((c * 60) << 16) | r.nextInt(256));
          }
        }
        javax.imageio.ImageIO.write(
            img,
            i % 2 == 0 ? "png" : "jpg",
            cls.resolve(i + (i % 2 == 0 ? ".png" : ".jpg")).toFile());
      }
    }
    ExperimentConfig cfg = TestConfigs.tiny("num_training_steps: 3", "log_eval_steps: 3");
    TrainSummary s =
        Trainer.run(cfg, dir.resolve("work"), false, Optional.of(data), TrainOptions.quiet());
    assertEquals(3, s.finalStep());
    assertTrue(s.dataset().startsWith("image_folder("), s.dataset());
    assertTrue(s.dataset().contains("36 train / 4 held-out"), s.dataset());
    double acc = s.evalAccuracy().orElseThrow();
    assertEquals(Math.rint(acc * 4), acc * 4, 1e-9, "accuracy over the 4 held-out images: " + acc);
  }

  @Test
  void run_toTheEnd_exportsSavedModel() throws Exception {
    ExperimentConfig cfg = TestConfigs.tiny("num_training_steps: 2");
    TrainSummary s =
        Trainer.run(cfg, dir, false, Optional.empty(), TrainOptions.quiet().withFinalModel(true));
    Path model = export(cfg, dir, s.finalModel().orElseThrow());
    assertEquals(dir.resolve(WorkdirExport.SAVED_MODEL_DIR).toAbsolutePath().normalize(), model);
    assertTrue(Files.isRegularFile(model.resolve("saved_model.pb")));
    assertTrue(Files.isDirectory(model.resolve("variables")));

    // The held-out sample written beside it: the SavedModel's logits on it equal those of a graph
    // built afresh from the final checkpoint.
    Path sample = dir.resolve(WorkdirExport.SAMPLE_NPY);
    HostArray served = Predict.run(model, sample, dir.resolve("pred.npy"), null);
    int k = cfg.numClasses();
    assertArrayEquals(new long[] {16, k}, served.shape());
    assertEquals(16, Npy.read(dir.resolve(WorkdirExport.SAMPLE_LABELS_NPY)).data().length);
    Checkpoint ckpt = Checkpoints.read(s.lastCheckpoint().orElseThrow());
    HostArray images = Npy.read(sample);
    try (Graph g = new Graph()) {
      var tf = Ops.create(g);
      var x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(cfg.input().shape(-1))));
      var store = new ParameterStore(tf);
      var out =
          TokenLearnerViT.build(
              ModuleScope.root(store), cfg.model(), cfg.numClasses(), x, Mode.INFERENCE);
      try (var session = new Session(g);
          var t =
              TFloat32.tensorOf(
                  Shape.of(images.shape()), DataBuffers.of(images.data(), true, false))) {
        session.initialize();
        store.weights().load(session, ckpt.params());
        try (var r = session.runner().feed(x, t).fetch(out.logits()).run()) {
          float[] logits = new float[16 * k];
          ((TFloat32) r.get(0)).copyTo(DataBuffers.of(logits, false, false));
          assertTrue(served.maxAbsDiff(new HostArray(new long[] {16, k}, logits)) < 1e-5);
        }
      }
    }
  }

  /** What the CLI does after training: the SavedModel and sample in the workdir. */
  static Path export(ExperimentConfig cfg, Path workdir, FinalModel m) throws IOException {
    return WorkdirExport.write(
        cfg, workdir, m.params(), m.checkpoint(), m.labels(), m.sampleImages(), m.sampleLabels());
  }
}
