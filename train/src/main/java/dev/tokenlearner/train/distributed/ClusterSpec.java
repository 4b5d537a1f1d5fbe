package dev.tokenlearner.train.distributed;

import dev.tokenlearner.core.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.JobDef;

/**
 * The cluster of a data-parallel run and this process's task in it, as Kubeflow's TFJob writes it
 * into {@code TF_CONFIG}: {@code {"cluster": {"chief": ["host:port"], "worker": [...], "ps": [...],
 * "evaluator": [...]}, "task": {"type": "worker", "index": 0}}}.
 *
 * <p>The replicas are the {@code chief} task (rank 0) followed by the {@code worker} tasks in index
 * order; without a chief, worker 0 is the chief. {@code ps} and {@code evaluator} entries are
 * ignored: they take no part in training and are left out of the cluster the servers see.
 *
 * @param jobs task addresses ({@code host:port}) by job name, as given
 * @param taskType this process's job
 * @param taskIndex this process's index in its job
 */
public record ClusterSpec(Map<String, List<String>> jobs, String taskType, int taskIndex) {

  /** The environment variable TFJob sets. */
  public static final String TF_CONFIG = "TF_CONFIG";

  /** Job of the chief. */
  public static final String CHIEF = "chief";

  /** Job of the other replicas. */
  public static final String WORKER = "worker";

  private static final List<String> REPLICA_JOBS = List.of(CHIEF, WORKER);

  /** Copies the jobs and checks that the task is a replica that exists. */
  public ClusterSpec {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    jobs.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    jobs = java.util.Collections.unmodifiableMap(copy);
    if (jobs.getOrDefault(CHIEF, List.of()).size() > 1) {
      throw new InvalidInputException(
          "cluster.chief must list at most one task, got " + jobs.get(CHIEF));
    }
    if (!REPLICA_JOBS.contains(taskType)) {
      throw new InvalidInputException(
          "task.type must be 'chief' or 'worker' to train, got '"
              + taskType
              + "' (ps and evaluator tasks are not used)");
    }
    List<String> tasks = jobs.getOrDefault(taskType, List.of());
    if (taskIndex < 0 || taskIndex >= tasks.size()) {
      throw new InvalidInputException(
          "task.index "
              + taskIndex
              + " is out of range: cluster."
              + taskType
              + " lists "
              + tasks.size()
              + " task(s)");
    }
    for (String job : REPLICA_JOBS) {
      for (String address : jobs.getOrDefault(job, List.of())) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || !address.substring(colon + 1).matches("[0-9]{1,5}")) {
          throw new InvalidInputException(
              "cluster." + job + " address '" + address + "' is not host:port");
        }
      }
    }
  }

  /**
   * A cluster of a chief and workers given on the command line.
   *
   * @param chief the chief's {@code host:port}
   * @param workers the workers' {@code host:port}, in index order
   * @param taskType the job of this task: {@link #CHIEF} or {@link #WORKER}
   * @param taskIndex index in that job
   * @return the spec
   */
  public static ClusterSpec of(String chief, List<String> workers, String taskType, int taskIndex) {
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    jobs.put(CHIEF, List.of(chief));
    jobs.put(WORKER, workers);
    return new ClusterSpec(jobs, taskType, taskIndex);
  }

  /**
   * The spec in the {@code TF_CONFIG} environment variable, if it is set and not blank.
   *
   * @return the spec, or empty
   * @throws InvalidInputException if {@code TF_CONFIG} is malformed
   */
  public static Optional<ClusterSpec> fromEnvironment() {
    String value = System.getenv(TF_CONFIG);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(parse(value));
  }

  /**
   * Parses a {@code TF_CONFIG} value.
   *
   * @param json the JSON text
   * @return the spec
   * @throws InvalidInputException naming the key at fault if the text is not a valid {@code
   *     TF_CONFIG}
   */
  public static ClusterSpec parse(String json) {
    Object root;
    try {
      root = new Load(LoadSettings.builder().build()).loadFromString(json);
    } catch (YamlEngineException e) {
      throw new InvalidInputException("TF_CONFIG is not valid JSON: " + e.getMessage(), e);
    }
    Map<?, ?> top = asMap(root, "TF_CONFIG");
    if (top.get("cluster") == null && top.get("sparseCluster") != null) {
      throw new InvalidInputException(
          "TF_CONFIG.sparseCluster (TFJob enableDynamicWorker) is not supported; list the tasks"
              + " under TF_CONFIG.cluster");
    }
    Map<?, ?> cluster = asMap(top.get("cluster"), "TF_CONFIG.cluster");
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : cluster.entrySet()) {
      String job = String.valueOf(e.getKey()).toLowerCase(java.util.Locale.ROOT);
      if (!(e.getValue() instanceof List<?> list)) {
        throw new InvalidInputException(
            "TF_CONFIG.cluster." + job + " must be a list of host:port strings");
      }
      List<String> addresses = new ArrayList<>();
      for (Object a : list) {
        if (!(a instanceof String s)) {
          throw new InvalidInputException(
              "TF_CONFIG.cluster." + job + " must be a list of host:port strings, got " + a);
        }
        addresses.add(s);
      }
      // TF's older name for the chief.
      jobs.put(job.equals("master") ? CHIEF : job, addresses);
    }
    Map<?, ?> task = asMap(top.get("task"), "TF_CONFIG.task");
    Object type = task.get("type");
    Object index = task.get("index");
    if (!(type instanceof String t)) {
      throw new InvalidInputException("TF_CONFIG.task.type must be a string, got " + type);
    }
    if (!(index instanceof Number n) || n.longValue() != n.doubleValue()) {
      throw new InvalidInputException("TF_CONFIG.task.index must be an integer, got " + index);
    }
    String taskType = t.toLowerCase(java.util.Locale.ROOT);
    return new ClusterSpec(
        jobs, taskType.equals("master") ? CHIEF : taskType, Math.toIntExact(n.longValue()));
  }

  private static Map<?, ?> asMap(Object o, String key) {
    if (!(o instanceof Map<?, ?> m)) {
      throw new InvalidInputException(key + " must be a JSON object, got " + o);
    }
    return m;
  }

  /**
   * The replicas' TensorFlow task names in rank order, e.g. {@code /job:chief/replica:0/task:0}.
   */
  public List<String> replicaTasks() {
    List<String> out = new ArrayList<>();
    for (String job : REPLICA_JOBS) {
      List<String> tasks = jobs.getOrDefault(job, List.of());
      for (int i = 0; i < tasks.size(); i++) {
        out.add(taskName(job, i));
      }
    }
    return out;
  }

  /** The replicas' addresses ({@code host:port}) in rank order. */
  public List<String> replicaAddresses() {
    List<String> out = new ArrayList<>();
    for (String job : REPLICA_JOBS) {
      out.addAll(jobs.getOrDefault(job, List.of()));
    }
    return out;
  }

  /** Number of replicas: the chief and the workers. */
  public int replicas() {
    return replicaTasks().size();
  }

  /** This task's rank: 0 for the chief (or worker 0 without a chief), then the workers. */
  public int rank() {
    return replicaTasks().indexOf(taskName());
  }

  /** This task's TensorFlow name, e.g. {@code /job:worker/replica:0/task:1}. */
  public String taskName() {
    return taskName(taskType, taskIndex);
  }

  /** This task's {@code host:port}. */
  public String address() {
    return jobs.get(taskType).get(taskIndex);
  }

  /** The collective group leader: the rank-0 task. */
  public String leader() {
    return replicaTasks().get(0);
  }

  /** The cluster the servers see: the chief and worker jobs only. */
  public ClusterDef clusterDef() {
    ClusterDef.Builder b = ClusterDef.newBuilder();
    for (String job : REPLICA_JOBS) {
      List<String> tasks = jobs.getOrDefault(job, List.of());
      if (!tasks.isEmpty()) {
        JobDef.Builder j = JobDef.newBuilder().setName(job);
        for (int i = 0; i < tasks.size(); i++) {
          j.putTasks(i, tasks.get(i));
        }
        b.addJob(j);
      }
    }
    return b.build();
  }

  private static String taskName(String job, int index) {
    return "/job:" + job + "/replica:0/task:" + index;
  }
}
