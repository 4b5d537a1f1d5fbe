package dev.tokenlearner.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class TrainOrderTest {

  @Test
  void shard_fourReplicas_togetherSeeTheWholeBatchInOrder() {
    TrainOrder whole = new TrainOrder(7, 12, 50);
    for (long step : new long[] {0, 3, 4, 11}) {
      long[] joined =
          LongStream.range(0, 4)
              .flatMap(r -> Arrays.stream(whole.shard((int) r, 4).indices(step)))
              .toArray();
      assertArrayEquals(whole.indices(step), joined, "step " + step);
    }
  }

  @Test
  void shard_augmentation_isTheWholeBatchSlots() {
    TrainOrder whole = new TrainOrder(7, 12, 50);
    TrainOrder third = whole.shard(2, 3);

    assertEquals(4, third.shardSize());
    for (int j = 0; j < 4; j++) {
      assertEquals(
          whole.augmentation(5, 8 + j).nextLong(),
          third.augmentation(5, j).nextLong(),
          "slot " + j);
    }
  }

  @Test
  void shard_unevenBatch_isRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new TrainOrder(7, 10, 50).shard(0, 4));
    assertTrue(e.getMessage().contains("batch_size 10"), e.getMessage());
  }

  @Test
  void shard_ofShard_isRejected() {
    TrainOrder half = new TrainOrder(7, 12, 50).shard(1, 2);
    assertThrows(IllegalArgumentException.class, () -> half.shard(0, 2));
  }
}
