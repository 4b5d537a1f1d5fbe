package dev.tokenlearner.graph;

import static dev.tokenlearner.ops.TestArrays.assertClose;
import static dev.tokenlearner.ops.TestArrays.nd;
import static dev.tokenlearner.ops.TestArrays.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.Classifier;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.TemporalEncodingConfig;
import dev.tokenlearner.config.TemporalEncodingMethod;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.config.TokenizerType;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.ops.GraphFixture;
import dev.tokenlearner.ops.Mode;
import dev.tokenlearner.ops.reference.Reference;
import dev.tokenlearner.ops.reference.ReferenceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TokenLearnerViT} with random weights against {@link Reference#forward}: the encoder
 * settings of Scenic's own tests (image and video, 3d_conv and temporal_sampling, temporal dims 1,
 * 2 and 4, with and without TokenFuser, v1 and v1.1; 3 layers, 8 tokens at layer 2, 3 heads), the
 * classifier heads, and a dynamic batch run with batch 1 and 3 on the same graph.
 */
class TokenLearnerViTTest {

  private static final int HIDDEN = 24;
  private static final int HEADS = 3;
  private static final int MLP = 48;
  private static final int LAYERS = 3;
  private static final int TOKENS = 8;
  private static final int CLASSES = 5;

  /** A float32 whole model vs the double reference. */
  private static final double TOLERANCE = 1e-4;

  /**
   * One model: stem, TokenLearner placement and head.
   *
   * @param inputDims input shape without the batch
   * @param tDims Scenic's {@code t_dims}: frames after temporal encoding
   * @param nSampled {@code n_sampled_frames} for temporal_sampling, else 0
   * @param representation {@code representation_size}, or null
   */
  record Setup(
      String name,
      TokenizerType type,
      TemporalEncodingMethod method,
      int[] patch,
      long[] inputDims,
      int tDims,
      int nSampled,
      int loc,
      boolean fuse,
      boolean v11,
      Classifier classifier,
      Integer representation) {

    ModelConfig model() {
      Optional<TemporalEncodingConfig> temporal =
          method == null
              ? Optional.empty()
              : Optional.of(
                  new TemporalEncodingConfig(
                      method,
                      nSampled > 0 ? OptionalInt.of(nSampled) : OptionalInt.empty(),
                      Optional.empty()));
      // Dropout rates are set on purpose: inference must ignore them.
      return new ModelConfig(
          HIDDEN,
          HEADS,
          MLP,
          LAYERS,
          representation == null ? OptionalInt.empty() : OptionalInt.of(representation),
          classifier,
          0.1,
          0.1,
          0.0,
          new TokenizerConfig(type, patch, TOKENS, loc, fuse, v11, temporal));
    }

    ReferenceConfig reference() {
      return new ReferenceConfig(
          HIDDEN,
          HEADS,
          MLP,
          LAYERS,
          type.scenicName(),
          patch,
          TOKENS,
          loc,
          fuse,
          v11,
          classifier.scenicName(),
          representation,
          method == null ? null : method.scenicName(),
          nSampled);
    }

    /** Tokens per frame times frames. */
    long sequenceLength() {
      return 16L * tDims;
    }

    boolean learns() {
      return type != TokenizerType.PATCH && loc < LAYERS;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static Setup image(String name, int loc, boolean fuse, boolean v11) {
    return new Setup(
        name,
        TokenizerType.DYNAMIC,
        null,
        new int[] {4, 4},
        new long[] {16, 16, 3},
        1,
        0,
        loc,
        fuse,
        v11,
        Classifier.GAP,
        null);
  }

  private static Setup conv3d(int tDims, boolean fuse, boolean v11) {
    return new Setup(
        "video 3d_conv, temporal dims " + tDims,
        TokenizerType.VIDEO,
        TemporalEncodingMethod.THREE_D_CONV,
        new int[] {4, 4, 2},
        new long[] {2L * tDims, 16, 16, 3},
        tDims,
        0,
        2,
        fuse,
        v11,
        Classifier.GAP,
        null);
  }

  private static Setup sampled(int frames, int nSampled, int tDims, boolean fuse, boolean v11) {
    return new Setup(
        "video temporal_sampling " + nSampled + " of " + frames + " frames, temporal dims " + tDims,
        TokenizerType.VIDEO,
        TemporalEncodingMethod.TEMPORAL_SAMPLING,
        new int[] {4, 4},
        new long[] {frames, 16, 16, 3},
        tDims,
        nSampled,
        2,
        fuse,
        v11,
        Classifier.GAP,
        null);
  }

  static Stream<Arguments> encoders() {
    List<Arguments> cases = new ArrayList<>();
    for (boolean fuse : new boolean[] {false, true}) {
      for (boolean v11 : new boolean[] {true, false}) {
        String how = (fuse ? "EncoderModFuser" : "EncoderMod") + ", " + (v11 ? "v1.1" : "v1");
        // v1 differs from v1.1 only inside the TokenLearner, so one temporal size per stem
        // suffices.
        List<Setup> stems =
            v11
                ? List.of(
                    image("image", 2, fuse, v11),
                    conv3d(1, fuse, v11),
                    conv3d(2, fuse, v11),
                    conv3d(4, fuse, v11),
                    sampled(6, 1, 1, fuse, v11),
                    sampled(6, 2, 2, fuse, v11),
                    sampled(6, 4, 4, fuse, v11))
                : List.of(
                    image("image", 2, fuse, v11),
                    conv3d(2, fuse, v11),
                    sampled(6, 2, 2, fuse, v11));
        stems.forEach(s -> cases.add(Arguments.of(how + ", " + s.name(), s)));
      }
    }
    // numpy's float arange keeps 3 frames when 2 of 8 are asked for; Scenic inherits that.
    cases.add(
        Arguments.of(
            "EncoderMod, v1.1, temporal_sampling 2 of 8 frames", sampled(8, 2, 3, false, true)));
    cases.add(
        Arguments.of(
            "EncoderModFuser, v1.1, TokenLearner before every block",
            image("image", 0, true, true)));
    cases.add(
        Arguments.of(
            "EncoderMod, tokenlearner_loc = num_layers (plain ViT)",
            image("image", LAYERS, false, true)));
    cases.add(
        Arguments.of(
            "patch tokenizer (plain ViT)",
            new Setup(
                "patch",
                TokenizerType.PATCH,
                null,
                new int[] {4, 4},
                new long[] {16, 16, 3},
                1,
                0,
                1,
                false,
                true,
                Classifier.GAP,
                null)));
    return cases.stream();
  }

  private static Arguments head(Classifier c, Integer rep) {
    return Arguments.of(
        c.scenicName() + (rep == null ? ", no pre_logits" : ", pre_logits " + rep),
        new Setup(
            "image",
            TokenizerType.DYNAMIC,
            null,
            new int[] {4, 4},
            new long[] {16, 16, 3},
            1,
            0,
            1,
            false,
            true,
            c,
            rep));
  }

  static Stream<Arguments> heads() {
    // gap without pre_logits is every encoder case above.
    return Stream.of(
        head(Classifier.GAP, 12), head(Classifier.GMP, 12), head(Classifier.GSP, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource({"encoders", "heads"})
  void build_randomWeights_matchesReferenceForBatch1And3(String name, Setup setup) {
    try (GraphFixture g = new GraphFixture()) {
      var images = g.input("images", setup.inputDims());
      ModelOutputs out =
          TokenLearnerViT.build(g.root, setup.model(), CLASSES, images, Mode.INFERENCE);
      Map<String, HostArray> params = g.loadRandom(1);

      long encodedLength =
          setup.learns() && !setup.fuse() ? (long) TOKENS * setup.tDims() : setup.sequenceLength();
      assertArrayEquals(
          new long[] {-1, encodedLength, HIDDEN},
          out.encoded().shape().asArray(),
          "static encoded shape");
      assertEquals(setup.learns(), out.learnedTokens().isPresent(), "learned tokens exposed");
      for (int batch : new int[] {1, 3}) {
        long[] shape = new long[setup.inputDims().length + 1];
        shape[0] = batch;
        System.arraycopy(setup.inputDims(), 0, shape, 1, setup.inputDims().length);
        HostArray input = uniform(batch, shape);

        List<HostArray> values =
            g.runAll(List.of(out.logits(), out.encoded()), Map.of(images, input));

        Reference.Output expected = Reference.forward(nd(input), params, setup.reference());
        assertClose(expected.logits(), values.get(0), TOLERANCE, "logits, batch " + batch);
        assertClose(expected.encoded(), values.get(1), TOLERANCE, "encoded, batch " + batch);
        assertEquals(batch, values.get(1).shape()[0]);
      }
      if (setup.learns()) {
        assertArrayEquals(
            new long[] {-1, (long) TOKENS * setup.tDims(), HIDDEN},
            out.learnedTokens().orElseThrow().shape().asArray(),
            "learned tokens shape");
      }
    }
  }

  static Stream<Arguments> badInputs() {
    return Stream.of(
        Arguments.of(
            "image model fed video",
            image("image", 2, false, true),
            new long[] {-1, 2, 16, 16, 3},
            new String[] {"TokenLearnerViT", "[?, 2, 16, 16, 3]"}),
        Arguments.of(
            "video model fed images",
            conv3d(2, false, true),
            new long[] {-1, 16, 16, 3},
            new String[] {"TokenLearnerViT", "[?, 16, 16, 3]"}),
        Arguments.of(
            "image smaller than a patch",
            image("image", 2, false, true),
            new long[] {-1, 3, 16, 3},
            new String[] {"height 3", "patch size 4"}),
        Arguments.of(
            "v1 on a 4x3 token grid",
            image("image", 1, false, false),
            new long[] {-1, 16, 12, 3},
            new String[] {"Transformer/TokenLearnerModule_0", "square", "12 tokens"}),
        Arguments.of(
            "v1 with fuser on a 4x3 token grid",
            image("image", 1, true, false),
            new long[] {-1, 16, 12, 3},
            new String[] {"Transformer/TokenLearnerModule_0", "square", "12 tokens"}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void build_badInput_throwsNamingWhereAndShape(
      String name, Setup setup, long[] shape, String[] expected) {
    try (GraphFixture g = new GraphFixture()) {
      var images = g.placeholder("images", shape);

      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> TokenLearnerViT.build(g.root, setup.model(), CLASSES, images, Mode.INFERENCE));

      for (String part : expected) {
        assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
      }
    }
  }
}
