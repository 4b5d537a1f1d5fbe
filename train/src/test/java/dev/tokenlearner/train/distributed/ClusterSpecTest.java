package dev.tokenlearner.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.JobDef;

class ClusterSpecTest {

  /** What Kubeflow's TFJob writes for a chief, two workers, a ps and an evaluator. */
  private static final String TFJOB =
      """
      {"cluster": {"chief": ["job-chief-0.ns.svc:2222"],
                   "worker": ["job-worker-0.ns.svc:2222", "job-worker-1.ns.svc:2222"],
                   "ps": ["job-ps-0.ns.svc:2222"],
                   "evaluator": ["job-evaluator-0.ns.svc:2222"]},
       "task": {"type": "worker", "index": 1},
       "environment": "cloud"}
      """;

  @Test
  void parse_tfJobConfig_ranksChiefThenWorkers() {
    ClusterSpec spec = ClusterSpec.parse(TFJOB);

    assertEquals(3, spec.replicas());
    assertEquals(2, spec.rank());
    assertEquals("/job:worker/replica:0/task:1", spec.taskName());
    assertEquals("job-worker-1.ns.svc:2222", spec.address());
    assertEquals("/job:chief/replica:0/task:0", spec.leader());
    assertEquals(
        List.of(
            "/job:chief/replica:0/task:0",
            "/job:worker/replica:0/task:0",
            "/job:worker/replica:0/task:1"),
        spec.replicaTasks());
  }

  @Test
  void clusterDef_psAndEvaluator_areLeftOut() {
    ClusterDef def = ClusterSpec.parse(TFJOB).clusterDef();

    assertEquals(
        List.of("chief", "worker"), def.getJobList().stream().map(JobDef::getName).toList());
    assertEquals("job-worker-1.ns.svc:2222", def.getJob(1).getTasksMap().get(1));
  }

  @Test
  void parse_noChief_workerZeroLeads() {
    ClusterSpec spec =
        ClusterSpec.parse(
            "{\"cluster\": {\"worker\": [\"a:1\", \"b:2\"]}, \"task\": {\"type\": \"worker\","
                + " \"index\": 0}}");

    assertEquals(0, spec.rank());
    assertEquals("/job:worker/replica:0/task:0", spec.leader());
  }

  @Test
  void parse_masterUpperCase_isTheChief() {
    ClusterSpec spec =
        ClusterSpec.parse(
            "{\"cluster\": {\"Master\": [\"m:1\"], \"worker\": [\"w:2\"]}, \"task\": {\"type\":"
                + " \"Master\", \"index\": 0}}");

    assertEquals("/job:chief/replica:0/task:0", spec.taskName());
    assertEquals(0, spec.rank());
  }

  @Test
  void parse_psTask_isRejectedNamingTheType() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ClusterSpec.parse(
                    "{\"cluster\": {\"chief\": [\"c:1\"], \"ps\": [\"p:2\"]}, \"task\": {\"type\":"
                        + " \"ps\", \"index\": 0}}"));
    assertTrue(e.getMessage().contains("'ps'"), e.getMessage());
  }

  @Test
  void parse_indexOutOfRange_namesTheKey() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ClusterSpec.parse(
                    "{\"cluster\": {\"chief\": [\"c:1\"], \"worker\": [\"w:2\"]}, \"task\":"
                        + " {\"type\": \"worker\", \"index\": 1}}"));
    assertTrue(e.getMessage().contains("task.index 1"), e.getMessage());
  }

  @Test
  void parse_addressWithoutPort_isRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ClusterSpec.parse(
                    "{\"cluster\": {\"chief\": [\"c\"]}, \"task\": {\"type\": \"chief\","
                        + " \"index\": 0}}"));
    assertTrue(e.getMessage().contains("cluster.chief address 'c'"), e.getMessage());
  }

  @Test
  void parse_notJson_isRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClusterSpec.parse("{\"cluster\": ["));
    assertTrue(e.getMessage().startsWith("TF_CONFIG"), e.getMessage());
  }

  @Test
  void parse_missingTask_namesTheKey() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ClusterSpec.parse("{\"cluster\": {\"chief\": [\"c:1\"]}}"));
    assertTrue(e.getMessage().contains("TF_CONFIG.task"), e.getMessage());
  }

  @Test
  void of_commandLineCluster_matchesTfConfig() {
    ClusterSpec flags = ClusterSpec.of("c:1", List.of("w:2", "w:3"), "worker", 0);
    ClusterSpec json =
        ClusterSpec.parse(
            "{\"cluster\": {\"chief\": [\"c:1\"], \"worker\": [\"w:2\", \"w:3\"]}, \"task\":"
                + " {\"type\": \"worker\", \"index\": 0}}");

    assertEquals(json, flags);
    assertEquals(1, flags.rank());
  }
}
