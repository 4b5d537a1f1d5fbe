package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.export.serving.TokenLearnerPredictor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.GraphOperation;

/** The XLA-compiled signatures of a loaded SavedModel against its plain graph and the fixture. */
class CompiledServingTest {

  @TempDir static Path tmp;
  private static Path model;

  @BeforeAll
  static void export() throws IOException {
    model = ServingFixture.export(tmp.resolve("m"));
  }

  @Test
  void run_compiled_fixtureLogitsWithinTolerance_andPartialBatchesPadded() throws IOException {
    Path dir = Fixtures.set(ServingFixture.SET);
    HostArray input = Npy.read(dir.resolve("input.npy"));
    HostArray expected = Npy.read(dir.resolve("expected_logits.npy"));
    try (ServingModel m = ServingModel.load(model, 4, true)) {
      assertTrue(m.compiled());
      assertEquals(Map.of(), m.uncompiledSignatures());
      GraphOperation call = m.bundleGraphOperation("xla_serving/" + Signatures.SERVING_DEFAULT);
      assertTrue(call.type().endsWith("PartitionedCall"), call.type());
      HostArray logits = m.run(Signatures.SERVING_DEFAULT, input);
      assertArrayEquals(expected.shape(), logits.shape());
      double diff = expected.maxAbsDiff(logits);
      assertTrue(diff <= 1e-4, "compiled vs fixture: " + diff);
      // 3 examples: padded to 4 and cut back; 1 example alone: its own shape.
      HostArray three = ServingFixture.batch(m, Signatures.SERVING_DEFAULT, 3, 7);
      HostArray got3 = m.run(Signatures.SERVING_DEFAULT, three);
      assertEquals(3, got3.shape()[0]);
      try (ServingModel plain = ServingModel.load(model, 4, false)) {
        assertFalse(plain.compiled());
        HostArray want3 = plain.run(Signatures.SERVING_DEFAULT, three);
        assertTrue(want3.maxAbsDiff(got3) <= 1e-4, "compiled vs plain: " + want3.maxAbsDiff(got3));
        HostArray one = ServingFixture.batch(m, Signatures.SERVING_DEFAULT, 1, 8);
        double d1 =
            plain
                .run(Signatures.SERVING_DEFAULT, one)
                .maxAbsDiff(m.run(Signatures.SERVING_DEFAULT, one));
        assertTrue(d1 <= 1e-4, "single example: " + d1);
      }
    }
  }

  @Test
  void runEncoded_compiled_matchesPlainOverSeveralChunks() throws IOException {
    List<byte[]> images =
        List.of(
            ServingBytesTest.png(40, 30, 1),
            ServingBytesTest.png(17, 50, 2),
            ServingBytesTest.png(64, 9, 3));
    try (ServingModel m = ServingModel.load(model, 2, true);
        ServingModel plain = ServingModel.load(model, 2, false)) {
      Map<String, HostArray> got = m.runEncoded(Signatures.SERVING_BYTES, images);
      Map<String, HostArray> want = plain.runEncoded(Signatures.SERVING_BYTES, images);
      for (String k : List.of(Signatures.LOGITS, Signatures.PROBABILITIES)) {
        assertArrayEquals(want.get(k).shape(), got.get(k).shape(), k);
        assertTrue(want.get(k).maxAbsDiff(got.get(k)) <= 1e-4, k);
      }
    }
  }

  @Test
  void predictor_compiledByDefault_noXlaLoadsPlainGraph() throws IOException {
    try (TokenLearnerPredictor on = TokenLearnerPredictor.load(model);
        TokenLearnerPredictor off = TokenLearnerPredictor.load(model, 4, false)) {
      assertTrue(on.model().compiled());
      assertFalse(off.model().compiled());
      assertEquals(
          null, off.model().bundleGraphOperation("xla_serving/" + Signatures.SERVING_DEFAULT));
    }
  }

  @Test
  void paddedSize_reusesSmallestSizeRun_elseNextPowerOfTwoUpToChunk() {
    TreeSet<Integer> none = new TreeSet<>();
    assertEquals(1, ServingModel.paddedSize(1, none, 32));
    assertEquals(4, ServingModel.paddedSize(3, none, 32));
    assertEquals(8, ServingModel.paddedSize(8, none, 32));
    assertEquals(32, ServingModel.paddedSize(17, none, 32));
    assertEquals(6, ServingModel.paddedSize(5, none, 6));
    // A last partial batch after full ones of 8: padded to 8, not compiled at 4.
    assertEquals(8, ServingModel.paddedSize(4, new TreeSet<>(List.of(8)), 8));
    assertEquals(2, ServingModel.paddedSize(2, new TreeSet<>(List.of(2, 8)), 8));
    assertEquals(16, ServingModel.paddedSize(9, new TreeSet<>(List.of(2, 8)), 32));
  }
}
