package dev.tokenlearner.ops.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenlearner.core.HostArray;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hand-computed checks of the reference pieces the fixtures do not reach: temporal sampling,
 * asymmetric SAME padding, max pooling, mean pooling of TokenLearner v1, and the basic functions.
 */
class ReferenceTest {

  @Test
  void gelu_knownPoints_matchTanhApproximation() {
    // Values of 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) computed independently.
    assertEquals(0.8411919906082768, Reference.gelu(1.0), 1e-15);
    assertEquals(-0.15428599017485606, Reference.gelu(-0.5), 1e-15);
    assertEquals(2.996362607918227, Reference.gelu(3.0), 1e-15);
  }

  @Test
  void softmax_largeLogits_staysFiniteAndSumsToOne() {
    Nd y = Reference.softmax(Nd.of(new int[] {1, 3}, 1000, 1001, 1002));
    double e = Math.E;
    double z = 1 + e + e * e;
    assertArrayEquals(new double[] {1 / z, e / z, e * e / z}, y.data(), 1e-15);
  }

  @Test
  void layerNorm_randomRows_matchesTwoPassFormula() {
    Nd x = Nd.random(new int[] {3, 7}, 1, 2.0);
    Nd scale = Nd.random(new int[] {7}, 2, 1.0);
    Nd bias = Nd.random(new int[] {7}, 3, 1.0);
    Nd y = Reference.layerNorm(x, scale, bias);
    for (int r = 0; r < 3; r++) {
      double mean = 0;
      for (int j = 0; j < 7; j++) {
        mean += x.get(r, j) / 7;
      }
      double var = 0;
      for (int j = 0; j < 7; j++) {
        var += (x.get(r, j) - mean) * (x.get(r, j) - mean) / 7;
      }
      for (int j = 0; j < 7; j++) {
        double expected = (x.get(r, j) - mean) / Math.sqrt(var + 1e-6) * scale.get(j) + bias.get(j);
        assertEquals(expected, y.get(r, j), 1e-12);
      }
    }
  }

  @Test
  void padding_sameOddTotal_putsExtraPaddingAtEnd() {
    assertArrayEquals(new int[] {1, 2, 5}, Reference.padding(5, 4, 1, Reference.Padding.SAME));
    assertArrayEquals(new int[] {0, 1, 2}, Reference.padding(4, 3, 2, Reference.Padding.SAME));
    assertArrayEquals(new int[] {1, 1, 4}, Reference.padding(4, 3, 1, Reference.Padding.SAME));
    assertArrayEquals(new int[] {0, 0, 3}, Reference.padding(7, 2, 2, Reference.Padding.VALID));
  }

  @Test
  void conv2d_sameStride2_matchesHandSums() {
    double[] pixels = new double[16];
    for (int i = 0; i < 16; i++) {
      pixels[i] = i + 1;
    }
    Nd x = Nd.of(new int[] {1, 4, 4, 1}, pixels);
    Nd ones = Nd.of(new int[] {3, 3, 1, 1}, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    Nd y = Reference.conv2d(x, ones, null, new int[] {2, 2}, Reference.Padding.SAME);
    // Padding 0 before, 1 after: windows cover rows/cols {0,1,2} and {2,3}.
    assertArrayEquals(new int[] {1, 2, 2, 1}, y.shape());
    assertArrayEquals(new double[] {54, 45, 72, 54}, y.data(), 0);
  }

  @Test
  void conv3d_validPatches_sumsEachBlock() {
    double[] v = new double[2 * 2 * 2];
    for (int i = 0; i < v.length; i++) {
      v[i] = i + 1;
    }
    Nd x = Nd.of(new int[] {1, 2, 2, 2, 1}, v);
    Nd k = Nd.of(new int[] {2, 1, 2, 1, 1}, 1, 10, 100, 1000);
    Nd y =
        Reference.conv3d(
            x, k, Nd.of(new int[] {1}, 0.5), new int[] {2, 1, 2}, Reference.Padding.VALID);
    assertArrayEquals(new int[] {1, 1, 2, 1, 1}, y.shape());
    // y[h] = x[0,h,0] + 10 x[0,h,1] + 100 x[1,h,0] + 1000 x[1,h,1] + 0.5
    assertArrayEquals(new double[] {1 + 20 + 500 + 6000.5, 3 + 40 + 700 + 8000.5}, y.data(), 0);
  }

  @Test
  void sampleFrameIndices_32FramesSample8_matchesScenic() {
    assertArrayEquals(
        new int[] {4, 7, 11, 14, 18, 21, 25, 28}, Reference.sampleFrameIndices(32, 8));
    assertArrayEquals(new int[] {3, 6, 10, 13}, Reference.sampleFrameIndices(16, 4));
  }

  @Test
  void sampleFrameIndices_halfwayValues_roundHalfToEven() {
    assertArrayEquals(new int[] {2}, Reference.sampleFrameIndices(3, 1));
    assertArrayEquals(new int[] {2, 5, 8}, Reference.sampleFrameIndices(10, 3));
  }

  @Test
  void sampleFrameIndices_atLeastAsManySamplesAsFrames_keepsEveryFrame() {
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, Reference.sampleFrameIndices(5, 8));
    assertArrayEquals(new int[] {0, 1, 2}, Reference.sampleFrameIndices(3, 3));
  }

  @Test
  void sampleFramesUniformly_video_copiesChosenFrames() {
    Nd x = Nd.random(new int[] {2, 10, 2, 3, 1}, 4, 1.0);
    Nd y = Reference.sampleFramesUniformly(x, 3);
    int[] idx = {2, 5, 8};
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 3; t++) {
        for (int h = 0; h < 2; h++) {
          for (int w = 0; w < 3; w++) {
            assertEquals(x.get(b, idx[t], h, w, 0), y.get(b, t, h, w, 0));
          }
        }
      }
    }
  }

  @Test
  void pool_eachClassifier_reducesTokenAxis() {
    Nd x = Nd.of(new int[] {1, 3, 2}, 1, -4, 5, 2, -3, 8);
    assertArrayEquals(new double[] {1, 2}, Reference.pool(x, "gap").data(), 1e-15);
    assertArrayEquals(new double[] {5, 8}, Reference.pool(x, "gmp").data(), 0);
    assertArrayEquals(new double[] {3, 6}, Reference.pool(x, "gsp").data(), 0);
    assertThrows(IllegalArgumentException.class, () -> Reference.pool(x, "token"));
  }

  @Test
  void multiHeadAttention_singleToken_isValueThenOutProjection() {
    // With one key the softmax weight is exactly 1, so the output is out(value(x)).
    int d = 4;
    int heads = 2;
    Map<String, HostArray> p = new HashMap<>();
    long seed = 10;
    for (String m : new String[] {"query", "key", "value"}) {
      p.put("mha/" + m + "/kernel", Nd.random(new int[] {d, heads, 2}, seed++, 0.5).toHost());
      p.put("mha/" + m + "/bias", Nd.random(new int[] {heads, 2}, seed++, 0.1).toHost());
    }
    p.put("mha/out/kernel", Nd.random(new int[] {heads, 2, d}, seed++, 0.5).toHost());
    p.put("mha/out/bias", Nd.random(new int[] {d}, seed, 0.1).toHost());
    Nd x = Nd.random(new int[] {3, 1, d}, 99, 1.0);

    Nd y = Reference.multiHeadAttention(x, p, "mha");

    Nd wv = Nd.fromFloat(p.get("mha/value/kernel")).reshape(d, heads * 2);
    Nd bv = Nd.fromFloat(p.get("mha/value/bias")).reshape(heads * 2);
    Nd wo = Nd.fromFloat(p.get("mha/out/kernel")).reshape(heads * 2, d);
    Nd bo = Nd.fromFloat(p.get("mha/out/bias"));
    Nd expected = Reference.dense(Reference.dense(x, wv, bv), wo, bo);
    assertEquals(0.0, y.maxAbsDiff(expected), 1e-12);
  }

  @Test
  void tokenLearnerV1_meanPooling_isSumPoolingOverArea() {
    int d = 3;
    int k = 2;
    Map<String, HostArray> p = new HashMap<>();
    p.put("tl/LayerNorm_0/scale", Nd.random(new int[] {d}, 1, 1.0).toHost());
    p.put("tl/LayerNorm_0/bias", Nd.random(new int[] {d}, 2, 1.0).toHost());
    p.put("tl/Conv_0/kernel", Nd.random(new int[] {3, 3, d, k}, 3, 0.5).toHost());
    for (int i = 1; i < 4; i++) {
      p.put("tl/Conv_" + i + "/kernel", Nd.random(new int[] {3, 3, k, k}, 3 + i, 0.5).toHost());
    }
    Nd x = Nd.random(new int[] {2, 9, d}, 7, 1.0);

    Nd sum = Reference.tokenLearnerV1(x, p, "tl", true);
    Nd mean = Reference.tokenLearnerV1(x, p, "tl", false);

    assertArrayEquals(new int[] {2, k, d}, sum.shape());
    for (int i = 0; i < sum.size(); i++) {
      assertEquals(sum.data()[i] / 9, mean.data()[i], 1e-12);
    }
  }

  @Test
  void tokenLearnerV1_nonSquareTokens_throws() {
    Nd x = Nd.zeros(1, 6, 3);
    assertThrows(IllegalArgumentException.class, () -> Reference.tokenLearnerV1(x, Map.of(), "tl"));
  }

  @Test
  void param_missingKey_throwsNamingKey() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Reference.param(Map.of(), "a/b"));
    assertEquals("missing parameter a/b", e.getMessage());
  }
}
