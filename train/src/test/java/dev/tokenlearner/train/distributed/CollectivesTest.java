package dev.tokenlearner.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * The collective ops as built, read back from the GraphDef: no server runs, so these checks need no
 * network namespace (and say nothing about numbers; the distributed tests do).
 */
class CollectivesTest {

  private static final float TIMEOUT = 7f;

  /** The {@code CollectiveReduce} nodes of an all-reduce of a [10] and a [3, 4] tensor. */
  private static List<NodeDef> reduces(CollectiveSettings settings) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      long[] next = {5};
      Collectives.allReduceMean(
          tf,
          List.of(
              tf.zeros(tf.constant(new int[] {10}), TFloat32.class),
              tf.zeros(tf.constant(new int[] {3, 4}), TFloat32.class)),
          3,
          () -> next[0]++,
          settings);
      List<NodeDef> out = new ArrayList<>();
      for (NodeDef n : g.toGraphDef().getNodeList()) {
        if (n.getOp().equals("CollectiveReduce")) {
          out.add(n);
        }
      }
      return out;
    }
  }

  @Test
  void allReduceMean_cpuChunksOf16Bytes_sixRingCollectivesWithOwnKeys() {
    // 22 floats in chunks of at most 4: ceil(22 / 4) = 6 collectives.
    List<NodeDef> ops = reduces(new CollectiveSettings(TIMEOUT, 16, "auto"));

    assertEquals(6, ops.size());
    Set<Long> keys = new HashSet<>();
    for (NodeDef n : ops) {
      keys.add(n.getAttrOrThrow("instance_key").getI());
      assertEquals("auto", n.getAttrOrThrow("communication_hint").getS().toStringUtf8());
      assertEquals(3, n.getAttrOrThrow("group_size").getI());
      assertEquals(TIMEOUT, n.getAttrOrThrow("timeout_seconds").getF(), 0f);
      assertEquals("Add", n.getAttrOrThrow("merge_op").getS().toStringUtf8());
      assertEquals("Div", n.getAttrOrThrow("final_op").getS().toStringUtf8());
    }
    assertEquals(Set.of(5L, 6L, 7L, 8L, 9L, 10L), keys);
  }

  @Test
  void allReduceMean_gpu_oneNcclCollective() {
    List<NodeDef> ops = reduces(CollectiveSettings.forDevice("/device:GPU:0", TIMEOUT));

    assertEquals(1, ops.size());
    AttrValue hint = ops.get(0).getAttrOrThrow("communication_hint");
    assertEquals("nccl", hint.getS().toStringUtf8());
    assertEquals(5, ops.get(0).getAttrOrThrow("instance_key").getI());
  }

  @Test
  void allReduceMeanBfloat16_oddCount_oneGatherOfPairedBits() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Collectives.allReduceMeanBfloat16(
          tf,
          List.of(
              tf.zeros(tf.constant(new int[] {10}), TFloat32.class),
              tf.zeros(tf.constant(new int[] {3, 3}), TFloat32.class)),
          2,
          () -> 9,
          new CollectiveSettings(TIMEOUT, 16, "auto"));
      List<NodeDef> gathers = new ArrayList<>();
      for (NodeDef n : g.toGraphDef().getNodeList()) {
        if (n.getOp().equals("CollectiveGather")) {
          gathers.add(n);
        }
        assertTrue(!n.getOp().equals("CollectiveReduce"), n.getName());
      }

      // 19 floats padded to 20: 10 float32 words of two bfloat16 each, gathered unchunked.
      assertEquals(1, gathers.size());
      NodeDef gather = gathers.get(0);
      assertEquals(10, gather.getAttrOrThrow("shape").getShape().getDim(0).getSize());
      assertEquals(9, gather.getAttrOrThrow("instance_key").getI());
      assertEquals(2, gather.getAttrOrThrow("group_size").getI());
    }
  }

  @Test
  void forDevice_cpu_chunksOf2MiBThroughTheRing() {
    CollectiveSettings s =
        CollectiveSettings.forDevice("/job:worker/replica:0/task:1/device:CPU:0", 1f);

    assertEquals("auto", s.communicationHint());
    assertEquals(2L << 20, s.chunkBytes());
    assertEquals(1, reduces(new CollectiveSettings(TIMEOUT, 2L << 20, "auto")).size());
  }
}
