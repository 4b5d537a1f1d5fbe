package dev.tokenlearner.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.reference.Nd;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Random inputs and parameter values for tests, and comparisons against the reference. */
public final class TestArrays {

  private TestArrays() {}

  /**
   * Values uniform in {@code [-1, 1)}.
   *
   * @param seed the stream's seed
   * @param shape dimensions
   * @return a new array
   */
  public static HostArray uniform(long seed, long... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[Math.toIntExact(HostArray.numElements(shape))];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return new HostArray(shape.clone(), v);
  }

  /**
   * Random values for every parameter, chosen like the Scenic fixtures so that each one moves the
   * output: LayerNorm {@code scale} 1 ± 0.1, biases and {@code pos_embedding} N(0, 0.1²), kernels
   * N(0, 1/fan_in) with fan_in the product of all but the last dimension. Each path draws from its
   * own stream.
   *
   * @param shapes parameter shapes by path ({@link ParameterStore#shapes()})
   * @param seed the seed
   * @return values by path, sorted
   */
  public static Map<String, HostArray> params(Map<String, long[]> shapes, long seed) {
    Map<String, HostArray> out = new TreeMap<>();
    shapes.forEach(
        (path, shape) -> {
          SplittableRandom r = new SplittableRandom(seed * 1_000_003L + path.hashCode());
          String leaf = path.substring(path.lastIndexOf('/') + 1);
          long fanIn = 1;
          for (int i = 0; i < shape.length - 1; i++) {
            fanIn *= shape[i];
          }
          double mean = leaf.equals("scale") ? 1.0 : 0.0;
          double std = leaf.equals("kernel") ? 1.0 / Math.sqrt((double) fanIn) : 0.1;
          float[] v = new float[Math.toIntExact(HostArray.numElements(shape))];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + std * Initializer.gaussian(r));
          }
          out.put(path, new HostArray(shape, v));
        });
    return out;
  }

  /**
   * Widens to the reference's double tensor.
   *
   * @param a a float array
   * @return the same values as doubles
   */
  public static Nd nd(HostArray a) {
    return Nd.fromFloat(a);
  }

  /**
   * Asserts equal shapes and a max abs difference within {@code tolerance}.
   *
   * @param expected the reference result
   * @param actual the graph's result
   * @param tolerance the largest allowed absolute difference
   * @param what a label for the failure message
   */
  public static void assertClose(Nd expected, HostArray actual, double tolerance, String what) {
    assertArrayEquals(expected.longShape(), actual.shape(), what + " shape");
    double diff = expected.maxAbsDiff(actual);
    assertTrue(diff <= tolerance, what + ": max abs diff " + diff + " > " + tolerance);
  }
}
