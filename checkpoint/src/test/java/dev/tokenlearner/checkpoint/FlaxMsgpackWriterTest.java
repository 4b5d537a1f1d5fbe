package dev.tokenlearner.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

class FlaxMsgpackWriterTest {

  @TempDir Path dir;

  private static HostArray random(Random r, long... shape) {
    float[] d = new float[(int) HostArray.numElements(shape)];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) r.nextGaussian();
    }
    return new HostArray(shape, d);
  }

  private static FlaxTrainState sampleState(long step) {
    Random r = new Random(step);
    SortedMap<String, HostArray> params = new TreeMap<>();
    params.put("embedding/kernel", random(r, 4, 4, 3, 8));
    params.put("embedding/bias", random(r, 8));
    params.put("Transformer/encoder_norm/scale", random(r, 8));
    params.put("output_projection/kernel", random(r, 8, 5));
    params.put("scalar", random(r));
    Map<String, Object> mu = new TreeMap<>();
    Map<String, Object> adam = new LinkedHashMap<>();
    adam.put("count", 12);
    adam.put("mu", Map.of("w", random(r, 3)));
    adam.put("nu", Map.of("w", random(r, 3)));
    Map<String, Object> opt = new LinkedHashMap<>();
    opt.put("0", mu);
    opt.put("1", adam);
    opt.put("2", Map.of("count", 99L));
    return FlaxTrainState.of(step, params, opt, new int[] {7, 0xfffffff5});
  }

  @Test
  void save_thenRead_paramsBitExactWithStepAndLayout() throws IOException {
    FlaxTrainState s = sampleState(25);
    Path f = FlaxMsgpackWriter.save(dir, s, 3);

    Checkpoint c = FlaxMsgpackReader.read(f);

    assertEquals(dir.resolve("checkpoint_25"), f);
    assertEquals(s.params(), c.params());
    assertEquals(OptionalLong.of(25), c.step());
    assertEquals(FlaxMsgpackReader.LAYOUT_PARAMS, c.layout());
  }

  @Test
  void save_thenReadTrainState_everyFieldRoundTrips() throws IOException {
    FlaxTrainState s = sampleState(3);
    FlaxTrainState back = FlaxMsgpackReader.readTrainState(FlaxMsgpackWriter.save(dir, s, 1));

    assertEquals(s.step(), back.step());
    assertEquals(s.params(), back.params());
    assertEquals(s.optState(), back.optState());
    assertArrayEquals(s.rng(), back.rng());
    assertEquals(s.metadata(), back.metadata());
  }

  @Test
  void write_fixtureTrainState_reproducesFlaxBytesExactly() throws IOException {
    // The fixtures are flax.training.checkpoints.save_checkpoint output; re-writing what was read
    // must give the same bytes, so key order, encodings and ndarray payloads all match Flax.
    Path original = Fixtures.checkpoint("tiny_v11");
    FlaxTrainState s = FlaxMsgpackReader.readTrainState(original);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    FlaxMsgpackWriter.write(out, s);

    assertArrayEquals(Files.readAllBytes(original), out.toByteArray());
  }

  @Test
  void write_chunkedFixtureWithItsChunkSize_reproducesFlaxBytesExactly() throws IOException {
    Path original = Fixtures.checkpoint("tiny_chunked");
    FlaxTrainState s = FlaxMsgpackReader.readTrainState(original);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    FlaxMsgpackWriter.write(out, s, Fixtures.maxChunkBytes("tiny_chunked"));

    assertArrayEquals(Files.readAllBytes(original), out.toByteArray());
  }

  @Test
  void write_topLevelKeysInScenicOrder() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    FlaxMsgpackWriter.write(out, sampleState(1));

    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(out.toByteArray())) {
      Value v = u.unpackValue();
      List<String> keys = new ArrayList<>();
      v.asMapValue().keySet().forEach(k -> keys.add(k.asStringValue().asString()));
      assertEquals(
          List.of("opt_state", "params", "global_step", "model_state", "rng", "metadata"), keys);
    }
  }

  @Test
  void save_keepTwo_deletesOlderFilesOnly() throws IOException {
    Files.createDirectories(dir.resolve("checkpoint_1_gda"));
    Files.writeString(dir.resolve("notes.txt"), "x");
    for (long step : new long[] {2, 10, 9, 30}) {
      FlaxMsgpackWriter.save(dir, sampleState(step), 2);
    }

    assertEquals(
        List.of(dir.resolve("checkpoint_10"), dir.resolve("checkpoint_30")), Checkpoints.list(dir));
    assertTrue(Files.exists(dir.resolve("checkpoint_1_gda")));
    assertTrue(Files.exists(dir.resolve("notes.txt")));
    assertFalse(Files.exists(dir.resolve(FlaxMsgpackWriter.TMP_NAME)));
  }

  @Test
  void save_staleTempFile_replacedAndRemoved() throws IOException {
    Files.writeString(dir.resolve(FlaxMsgpackWriter.TMP_NAME), "left over from a crash");

    Path f = FlaxMsgpackWriter.save(dir, sampleState(4), 1);

    assertFalse(Files.exists(dir.resolve(FlaxMsgpackWriter.TMP_NAME)));
    assertEquals(sampleState(4).params(), FlaxMsgpackReader.read(f).params());
  }

  @Test
  void save_keepZero_throws() {
    assertThrows(
        IllegalArgumentException.class, () -> FlaxMsgpackWriter.save(dir, sampleState(1), 0));
  }

  @Test
  void write_smallChunkSize_chunksAndReadsBack() throws IOException {
    FlaxTrainState s = sampleState(8);
    Path f = dir.resolve("checkpoint_8");
    try (var out = Files.newOutputStream(f)) {
      FlaxMsgpackWriter.write(out, s, 40); // 10 floats per chunk
    }

    byte[] bytes = Files.readAllBytes(f);
    assertTrue(
        new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)
            .contains(FlaxMsgpackParser.CHUNKED_MARKER));
    assertEquals(s.params(), FlaxMsgpackReader.read(f).params());
  }

  @Test
  void trainState_pathIsLeafAndPrefix_throws() {
    SortedMap<String, HostArray> params = new TreeMap<>();
    params.put("a", HostArray.zeros(1));
    params.put("a/b", HostArray.zeros(1));

    assertThrows(
        IllegalArgumentException.class, () -> FlaxTrainState.of(1, params, Map.of(), new int[2]));
  }
}
