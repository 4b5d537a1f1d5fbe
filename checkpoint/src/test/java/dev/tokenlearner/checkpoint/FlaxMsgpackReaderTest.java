package dev.tokenlearner.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Fixtures.ManifestEntry;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.msgpack.core.MessageFormat;

class FlaxMsgpackReaderTest {

  static final List<String> SETS = Fixtures.MSGPACK_SETS;

  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @FieldSource("SETS")
  void read_fixture_pathsDtypesShapesMatchManifest(String set) throws IOException {
    Checkpoint c = FlaxMsgpackReader.read(Fixtures.checkpoint(set));
    Map<String, ManifestEntry> manifest = Fixtures.manifest(set);

    assertEquals(List.copyOf(manifest.keySet()), List.copyOf(c.params().keySet()));
    for (Map.Entry<String, ManifestEntry> e : manifest.entrySet()) {
      assertEquals("float32", e.getValue().dtype(), e.getKey());
      assertArrayEquals(e.getValue().shape(), c.params().get(e.getKey()).shape(), e.getKey());
    }
    assertEquals(FlaxMsgpackReader.FORMAT, c.format());
    assertEquals(Fixtures.checkpoint(set), c.source());
  }

  @ParameterizedTest(name = "{0}")
  @FieldSource("SETS")
  void read_fixture_stepAndLayoutFromConfig(String set) throws IOException {
    Checkpoint c = FlaxMsgpackReader.read(Fixtures.checkpoint(set));

    assertEquals(OptionalLong.of(Fixtures.globalStep(set)), c.step());
    assertEquals(Fixtures.paramsPath(set), c.layout());
  }

  @ParameterizedTest(name = "{0}")
  @FieldSource("SETS")
  void read_fixture_valuesAreFiniteAndNotAllZero(String set) throws IOException {
    Checkpoint c = FlaxMsgpackReader.read(Fixtures.checkpoint(set));
    for (Map.Entry<String, HostArray> e : c.params().entrySet()) {
      boolean nonZero = false;
      for (float v : e.getValue().data()) {
        assertTrue(Float.isFinite(v), e.getKey());
        nonZero |= v != 0;
      }
      // The fixtures are random everywhere (README), so an all-zero array means a misread.
      assertTrue(nonZero, e.getKey() + " is all zeros");
    }
  }

  @Test
  void read_chunkedFixture_reassemblesChunksLikeUnchunkedValues() throws IOException {
    Checkpoint c = FlaxMsgpackReader.read(Fixtures.checkpoint("tiny_chunked"));
    long maxChunk = Fixtures.maxChunkBytes("tiny_chunked");

    assertEquals(256, maxChunk);
    long expectedChunked =
        Fixtures.manifest("tiny_chunked").values().stream()
            .filter(m -> HostArray.numElements(m.shape()) * 4 > maxChunk)
            .count();
    int chunkedArrays = 0;
    for (Map.Entry<String, HostArray> e : c.params().entrySet()) {
      assertFalse(e.getKey().contains(FlaxMsgpackParser.CHUNKED_MARKER), e.getKey());
      assertFalse(e.getKey().contains("chunks"), e.getKey());
      assertEquals(HostArray.numElements(e.getValue().shape()), e.getValue().data().length);
      if (e.getValue().data().length * 4L > maxChunk) {
        chunkedArrays++;
      }
    }
    // The README counts 69 chunked arrays: params plus their Adam mu and nu copies.
    assertEquals(69, 3 * expectedChunked);
    assertEquals(expectedChunked, chunkedArrays);
  }

  @Test
  void read_chunkedVersusPlainFile_sameValuesAfterRewrite(@TempDir Path dir) throws IOException {
    // Rewriting the chunked fixture's params unchunked must give identical arrays back.
    Checkpoint chunked = FlaxMsgpackReader.read(Fixtures.checkpoint("tiny_chunked"));
    Path plain =
        FlaxMsgpackWriter.save(
            dir, FlaxTrainState.of(1, chunked.params(), Map.of(), new int[2]), 1);

    assertEquals(chunked.params(), FlaxMsgpackReader.read(plain).params());
  }

  @Test
  void read_legacyFixture_skipsOptimizerSlots() throws IOException {
    // tiny_legacy_optim's param_states mirror the params tree; none may leak into the result.
    Checkpoint c = FlaxMsgpackReader.read(Fixtures.checkpoint("tiny_legacy_optim"));

    assertEquals(FlaxMsgpackReader.LAYOUT_OPTIMIZER_TARGET, c.layout());
    assertTrue(c.params().keySet().stream().noneMatch(k -> k.contains("grad_ema")));
  }

  @Test
  void read_preLinenTarget_renumbersPerClassAndUsesInnerParams() throws IOException {
    Path f = tmp.resolve("checkpoint_7");
    HostArray conv = new HostArray(new long[] {1, 1, 2, 3}, new float[] {1, 2, 3, 4, 5, 6});
    HostArray dense = new HostArray(new long[] {2}, new float[] {7, 8});
    HostArray dense2 = new HostArray(new long[] {1}, new float[] {9});
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "global_step",
            7L,
            "optimizer",
            MsgpackFiles.map(
                "state", MsgpackFiles.map("step", 7L),
                "target",
                    MsgpackFiles.map(
                        "params",
                        MsgpackFiles.map(
                            "Conv_0", MsgpackFiles.map("kernel", conv),
                            "Dense_1", MsgpackFiles.map("bias", dense),
                            "Dense_10", MsgpackFiles.map("bias", dense2))))));

    Checkpoint c = FlaxMsgpackReader.read(f);

    assertEquals(FlaxMsgpackReader.LAYOUT_PRE_LINEN, c.layout());
    // Natural order Dense_1 < Dense_10 fixes which becomes Dense_0 (flax docstring example).
    assertEquals(
        List.of("Conv_0/kernel", "Dense_0/bias", "Dense_1/bias"), List.copyOf(c.params().keySet()));
    assertEquals(conv, c.params().get("Conv_0/kernel"));
    assertEquals(dense, c.params().get("Dense_0/bias"));
    assertEquals(dense2, c.params().get("Dense_1/bias"));
    assertEquals(OptionalLong.of(7), c.step());
  }

  @Test
  void read_paramsAndOptimizerBothPresent_prefersParams() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    HostArray a = new HostArray(new long[] {1}, new float[] {1});
    HostArray b = new HostArray(new long[] {1}, new float[] {2});
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "optimizer", MsgpackFiles.map("target", MsgpackFiles.map("x", b)),
            "params", MsgpackFiles.map("x", a)));

    Checkpoint c = FlaxMsgpackReader.read(f);

    assertEquals(FlaxMsgpackReader.LAYOUT_PARAMS, c.layout());
    assertEquals(a, c.params().get("x"));
    assertEquals(OptionalLong.empty(), c.step());
  }

  @Test
  void read_bfloat16Params_widenedByUpperBits() throws IOException {
    Path f = tmp.resolve("checkpoint_3");
    // bfloat16 bit patterns: 1.0 = 0x3f80, -2.5 = 0xc020, 0.15625 = 0x3e20.
    byte[] raw = {(byte) 0x80, 0x3f, 0x20, (byte) 0xc0, 0x20, 0x3e};
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "params",
            MsgpackFiles.map("w", new MsgpackFiles.Nd(new long[] {3}, "bfloat16", raw)),
            "global_step",
            new MsgpackFiles.Nd(new long[0], "int64", MsgpackFiles.le(3L))));

    Checkpoint c = FlaxMsgpackReader.read(f);

    assertArrayEquals(new float[] {1.0f, -2.5f, 0.15625f}, c.params().get("w").data());
    assertEquals(OptionalLong.of(3), c.step());
  }

  @Test
  void read_stepAsNativeIntOrNumpyScalar_accepted() throws IOException {
    HostArray a = new HostArray(new long[] {1}, new float[] {1});
    Path f1 = tmp.resolve("a");
    MsgpackFiles.write(
        f1, MsgpackFiles.map("params", MsgpackFiles.map("x", a), "global_step", 42L));
    Path f2 = tmp.resolve("b");
    MsgpackFiles.write(
        f2,
        MsgpackFiles.map(
            "params", MsgpackFiles.map("x", a),
            "global_step",
                new MsgpackFiles.Nd(new long[0], "uint32", MsgpackFiles.le(9)).scalar()));

    assertEquals(OptionalLong.of(42), FlaxMsgpackReader.read(f1).step());
    assertEquals(OptionalLong.of(9), FlaxMsgpackReader.read(f2).step());
  }

  @Test
  void read_intParameter_throwsNamingKeyAndDtype() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "params",
            MsgpackFiles.map(
                "layer",
                MsgpackFiles.map(
                    "idx", new MsgpackFiles.Nd(new long[] {1}, "int32", MsgpackFiles.le(5))))));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("params/layer/idx"), e.getMessage());
    assertTrue(e.getMessage().contains("int32"), e.getMessage());
  }

  @Test
  void read_unknownDtype_throwsNamingKeyAndDtype() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "params",
            MsgpackFiles.map(
                "w", new MsgpackFiles.Nd(new long[] {1}, "float8_e4m3", new byte[1]))));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("params/w"), e.getMessage());
    assertTrue(e.getMessage().contains("float8_e4m3"), e.getMessage());
  }

  @Test
  void read_unknownDtypeInOptimizerState_skipped() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    HostArray a = new HostArray(new long[] {1}, new float[] {1});
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "opt_state",
                MsgpackFiles.map(
                    "w", new MsgpackFiles.Nd(new long[] {1}, "float8_e4m3", new byte[1])),
            "params", MsgpackFiles.map("w", a)));

    assertEquals(a, FlaxMsgpackReader.read(f).params().get("w"));
  }

  @Test
  void read_noParamsOrTarget_throwsListingKeys() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    MsgpackFiles.write(f, MsgpackFiles.map("global_step", 1L, "rng", 2L));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("[global_step, rng]"), e.getMessage());
  }

  @ParameterizedTest(name = "first {0} bytes")
  @ValueSource(ints = {0, 1, 2, 10, 100, 1000, 50_000, 200_000, 373_000, 373_832})
  void read_truncatedFile_throwsNamingFile(int keep) throws IOException {
    Path src = Fixtures.checkpoint("tiny_v11");
    byte[] all = Files.readAllBytes(src);
    Path f = tmp.resolve("checkpoint_1001");
    Files.write(f, Arrays.copyOf(all, Math.min(keep, all.length - 1)));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertEquals(f, e.file());
  }

  @Test
  void read_truncatedInsideParams_namesKeyPath() throws IOException {
    Path src = Fixtures.checkpoint("tiny_v11");
    byte[] all = Files.readAllBytes(src);
    int paramsAt = MsgpackFiles.indexOf(all, "\u00a6params".getBytes(StandardCharsets.ISO_8859_1));
    Path f = tmp.resolve("checkpoint_1001");
    Files.write(f, Arrays.copyOf(all, paramsAt + 3000));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("params/"), e.getMessage());
  }

  @Test
  void read_absurdExtensionLength_throwsWithoutAllocating() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "params", MsgpackFiles.map("w", new MsgpackFiles.BadExt(0x7fffffff, new byte[64]))));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("params/w"), e.getMessage());
    assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
  }

  @ParameterizedTest(name = "ext16 length {0}")
  @ValueSource(ints = {0, 1, 100, 0xffff})
  void read_corruptedExtensionHeaderInFixture_throws(int length) throws IOException {
    byte[] all = Files.readAllBytes(Fixtures.checkpoint("tiny_v11"));
    int at = MsgpackFiles.firstExtension(all, MessageFormat.EXT16);
    all[at + 1] = (byte) (length >> 8);
    all[at + 2] = (byte) length;
    Path f = tmp.resolve("checkpoint_1");
    Files.write(f, all);

    assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
  }

  @Test
  void read_hugeShapeClaim_throwsWithoutAllocating() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "params",
            MsgpackFiles.map(
                "w",
                new MsgpackFiles.Nd(new long[] {1L << 20, 1L << 20}, "float32", new byte[16]))));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("params/w"), e.getMessage());
  }

  @Test
  void read_shapeDisagreesWithData_throws() throws IOException {
    Path f = tmp.resolve("checkpoint_1");
    MsgpackFiles.write(
        f,
        MsgpackFiles.map(
            "params",
            MsgpackFiles.map("w", new MsgpackFiles.Nd(new long[] {3}, "float32", new byte[8]))));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("needs 12 bytes"), e.getMessage());
  }

  @Test
  void read_corruptedBytes_throwsFormatExceptionOnly() throws IOException {
    byte[] original = Files.readAllBytes(Fixtures.checkpoint("tiny_v11"));
    Random r = new Random(1234);
    Path f = tmp.resolve("checkpoint_1");
    List<String> accepted = new ArrayList<>();
    for (int trial = 0; trial < 200; trial++) {
      byte[] bytes = original.clone();
      // Corrupt a few bytes in the first 4 KiB, where the structure (headers, keys) is dense.
      for (int k = 0; k < 3; k++) {
        bytes[r.nextInt(4096)] = (byte) r.nextInt(256);
      }
      Files.write(f, bytes);
      try {
        FlaxMsgpackReader.read(f);
        accepted.add("trial " + trial); // a flip inside float data is still a valid file
      } catch (CheckpointFormatException e) {
        assertEquals(f, e.file());
      }
    }
    assertTrue(accepted.size() < 200, "no corruption was detected at all");
  }

  @Test
  void read_randomGarbage_throwsFormatException() throws IOException {
    Random r = new Random(99);
    Path f = tmp.resolve("checkpoint_1");
    for (int trial = 0; trial < 300; trial++) {
      byte[] bytes = new byte[1 + r.nextInt(2000)];
      r.nextBytes(bytes);
      if (trial % 3 == 0) {
        bytes[0] = (byte) (0x80 | r.nextInt(16)); // a fixmap header, to get past the first check
      }
      Files.write(f, bytes);
      assertThrows(
          CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f), "trial " + trial);
    }
  }

  @Test
  void read_deeplyNestedMaps_throwsInsteadOfOverflowingStack() throws IOException {
    // {"x": {{{...}: ...}: ...}}: 0x81 is a one-entry map; skipping "x" walks the nesting.
    byte[] bytes = new byte[100_000];
    Arrays.fill(bytes, (byte) 0x81);
    byte[] prefix = {(byte) 0x81, (byte) 0xa1, 'x'};
    byte[] all = new byte[prefix.length + bytes.length];
    System.arraycopy(prefix, 0, all, 0, prefix.length);
    System.arraycopy(bytes, 0, all, prefix.length, bytes.length);
    Path f = tmp.resolve("checkpoint_1");
    Files.write(f, all);

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("nesting"), e.getMessage());
  }

  @Test
  void read_trailingBytes_throws() throws IOException {
    byte[] all = Files.readAllBytes(Fixtures.checkpoint("tiny_v11"));
    byte[] more = Arrays.copyOf(all, all.length + 1);
    Path f = tmp.resolve("checkpoint_1");
    Files.write(f, more);

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> FlaxMsgpackReader.read(f));
    assertTrue(e.getMessage().contains("after the train state"), e.getMessage());
  }

  @Test
  void readTrainState_fixture_readsOptimizerStateRngAndMetadata() throws IOException {
    FlaxTrainState s = FlaxMsgpackReader.readTrainState(Fixtures.checkpoint("tiny_v11"));
    Checkpoint c = FlaxMsgpackReader.read(Fixtures.checkpoint("tiny_v11"));

    assertEquals(1001, s.step());
    assertEquals(c.params(), s.params());
    // opt_state {'0': {}, '1': {count, mu, nu}, '2': {}, '3': {count}} (fixtures README).
    assertEquals(List.of("0", "1", "2", "3"), List.copyOf(s.optState().keySet()));
    @SuppressWarnings("unchecked")
    Map<String, Object> adam = (Map<String, Object>) s.optState().get("1");
    assertEquals(List.of("count", "mu", "nu"), List.copyOf(adam.keySet()));
    assertTrue(adam.get("count") instanceof Integer);
    assertArrayEquals(new int[] {7, 11}, s.rng());
    @SuppressWarnings("unchecked")
    Map<String, Object> chrono = (Map<String, Object>) s.metadata().get("chrono");
    assertEquals(8008L, chrono.get("accum_examples_seen"));
    assertEquals(3500.5, chrono.get("accum_train_time"));
  }
}
