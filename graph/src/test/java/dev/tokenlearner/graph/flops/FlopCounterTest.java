package dev.tokenlearner.graph.flops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.Fixtures;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FlopCounterTest {

  // Hand derivation, ViT-B/16 at 224² (D 768, M 3072, 12 blocks, N = 14² = 196, 1000 classes),
  // counting only multiply-adds (MACs):
  //   patch embedding  196 · 16·16·3 · 768                                   =    115,605,504
  //   one block at n   3·n·D² (qkv) + 2·n²·D (logits, weighted sum) + n·D² (out) + 2·n·D·M (MLP)
  //                    n = 196: 1,446,273,024      n = 16: 113,639,424
  //   head             768 · 1000                                            =        768,000
  //   plain ViT        115,605,504 + 12 · 1,446,273,024 + 768,000            = 17,471,649,792
  //   TokenLearner v1.1 at block 9 with 16 tokens:
  //     module         196·768·64 + 196·64·16 + 16·196·768 (pooling)         =     12,242,944
  //     total          115,605,504 + 9·1,446,273,024 + 12,242,944 + 3·113,639,424 + 768,000
  //                                                                         = 13,485,991,936
  //   MAC ratio        17,471,649,792 / 13,485,991,936                       = 1.29554
  // Element-wise work (norms, gelu, softmax, biases, residuals) adds well under 1% to both.
  private static final long PLAIN_B16_MACS = 17_471_649_792L;
  private static final long TL_B16_MACS = 13_485_991_936L;

  private static ExperimentConfig named(String name) throws IOException {
    return ConfigLoader.loadNamed(name);
  }

  private static Map<String, LayerCost> byName(List<LayerCost> layers) {
    return layers.stream().collect(Collectors.toMap(LayerCost::name, Function.identity()));
  }

  @Test
  void count_plainB16_isAbout35Gflops() throws IOException {
    FlopReport r = FlopCounter.count(named("vit_b16_baseline"));
    // The usual 17.6 GMACs (35.1 GFLOPs) of ViT-B/16 include its class token (197 tokens);
    // the gap model here has 196. Within 2% either way.
    assertEquals(35.1e9, (double) r.flops(), 0.02 * 35.1e9);
    double macOnly = 2.0 * (double) PLAIN_B16_MACS;
    assertTrue(r.flops() > macOnly, "element-wise ops add to the MAC count");
    assertEquals(macOnly, (double) r.flops(), 0.01 * macOnly);
    assertEquals(1.0, r.flopRatio(), 0.0);
  }

  @Test
  void parameterCount_plainB16_equalsReferenceViTCountWithoutClassToken() throws IOException {
    // ViT-B/16 at 224 with a class token has 86,567,656 parameters (timm's vit_base_patch16_224);
    // gap drops the class token (768) and its position row (768).
    assertEquals(86_567_656L - 768 - 768, FlopCounter.parameterCount(named("vit_b16_baseline")));
  }

  @Test
  void count_im1kTokenLearner_ratioMatchesHandDerivation() throws IOException {
    ExperimentConfig c = named("im1k_token_learner");
    FlopReport r = FlopCounter.count(c);
    double handRatio = (double) PLAIN_B16_MACS / TL_B16_MACS; // 1.2955
    assertEquals(handRatio, r.flopRatio(), 0.01 * handRatio);
    assertEquals(2.0 * (double) TL_B16_MACS, (double) r.flops(), 0.02 * (double) TL_B16_MACS);
    // The plain side of the report is the baseline config's count.
    assertEquals(FlopCounter.count(named("vit_b16_baseline")).flops(), r.plainFlops());
    // TokenLearnerModuleV11_0: LayerNorm 2·768 + Dense 768·64 + 64 + Dense 64·16 + 16.
    assertEquals(r.plainParams() + 1536 + 49_216 + 1_040, r.params());
  }

  @Test
  void layers_im1kTokenLearner_shrinkSequenceAtBlock9() throws IOException {
    Map<String, LayerCost> l = byName(FlopCounter.layers(named("im1k_token_learner")));
    assertEquals(196, l.get("Transformer/encoderblock_8").tokens());
    assertEquals(196, l.get("Transformer/TokenLearnerModuleV11_0").tokens());
    assertEquals(16, l.get("Transformer/encoderblock_9").tokens());
    assertEquals(16, l.get("Transformer/encoder_norm").tokens());
    assertEquals(7_087_872, l.get("Transformer/encoderblock_0").params());
    assertEquals(590_592, l.get("embedding").params());
    assertEquals(769_000, l.get("output_projection").params());
    // Same blocks, 196 vs 16 tokens: MACs per block scale as computed in the header.
    double perBlockRatio =
        (double) l.get("Transformer/encoderblock_0").flops()
            / l.get("Transformer/encoderblock_9").flops();
    assertEquals(1_446_273_024.0 / 113_639_424.0, perBlockRatio, 0.01 * perBlockRatio);
  }

  @Test
  void layers_tokenFuser_learnedTokensInsideBlocksFullGridAfter() throws IOException {
    List<LayerCost> layers = FlopCounter.layers(named("tokenfuser_b16"));
    Map<String, LayerCost> l = byName(layers);
    for (int j = 0; j < 3; j++) {
      assertEquals(196, l.get("Transformer/TokenLearnerModuleV11_" + j).tokens());
      assertEquals(16, l.get("Transformer/encoderblock_" + (9 + j)).tokens());
      assertEquals(196, l.get("Transformer/TokenFuser_" + j).tokens());
    }
    assertEquals(196, l.get("Transformer/encoder_norm").tokens());
    // Forward order: TL, block, fuser.
    List<String> names = layers.stream().map(LayerCost::name).toList();
    int tl = names.indexOf("Transformer/TokenLearnerModuleV11_1");
    assertEquals("Transformer/encoderblock_10", names.get(tl + 1));
    assertEquals("Transformer/TokenFuser_1", names.get(tl + 2));
    // TokenFuser_j: 3 LayerNorms (2·768 each) + Dense 16·16 + 16 + MLP 768·64 + 64 + 64·16 + 16.
    assertEquals(3 * 1536 + 272 + 49_216 + 1_040, l.get("Transformer/TokenFuser_0").params());
  }

  @Test
  void layers_v1FuserFixture_tokenLearnerCostMatchesHandCount() throws IOException {
    ExperimentConfig c =
        ConfigLoader.load(Fixtures.root().resolve("tiny_v1_fuser").resolve("config.json"));
    Map<String, LayerCost> l = byName(FlopCounter.layers(c));
    // S = 16 tokens (4 x 4), D = 32, K = 8:
    //   LayerNorm 7·16·32 = 3,584; Conv_0 2·16·9·32·8 = 73,728; Conv_1..3 3·2·16·9·8·8 = 55,296;
    //   gelu 3·9·16·8 = 3,456; sigmoid 4·16·8 = 512; pooling 2·8·16·32 = 8,192.  Sum 144,768.
    assertEquals(144_768, l.get("Transformer/TokenLearnerModule_0").flops());
    assertEquals(144_768, l.get("Transformer/TokenLearnerModule_1").flops());
    // pre_logits: Dense 32 -> 24 (2·32·24 + 24) + tanh 24.
    assertEquals(1_584, l.get("pre_logits").flops());
    assertEquals(24 * 5 + 5, l.get("output_projection").params());
  }

  @Test
  void layers_kineticsVideo_sequenceOf3136ShrinksTo128() throws IOException {
    ExperimentConfig c = named("kinetics_tokenlearner_b16");
    Map<String, LayerCost> l = byName(FlopCounter.layers(c));
    assertEquals(3136, l.get("embedding").tokens());
    assertEquals(3136, l.get("Transformer/encoderblock_5").tokens());
    assertEquals(3136, l.get("Transformer/TokenLearnerModuleV11_0").tokens());
    assertEquals(128, l.get("Transformer/encoderblock_6").tokens());
    assertArrayEquals(
        new long[] {2, 16, 16, 3, 768}, FlopCounter.expectedParamShapes(c).get("embedding/kernel"));
    assertArrayEquals(
        new long[] {1, 3136, 768},
        FlopCounter.expectedParamShapes(c).get("Transformer/posembed_input/pos_embedding"));
    // Tubelet embedding: 3136 · (2·16·16·3) MACs · 768 outputs + bias.
    assertEquals(2L * 3136 * 1536 * 768 + 3136L * 768, l.get("embedding").flops());
    FlopReport r = FlopCounter.count(c);
    // Attention over 3136 tokens dominates the plain model: the TokenLearner halves the encoder.
    assertTrue(r.flopRatio() > 1.8, String.valueOf(r.flopRatio()));
  }

  @Test
  void count_tinyConfig_tokenLearnerIsCheaper() throws IOException {
    FlopReport r = FlopCounter.count(named("tiny"));
    assertTrue(r.flopRatio() > 1.0, String.valueOf(r.flopRatio()));
    assertTrue(r.format().contains("Transformer/TokenLearnerModuleV11_0"));
    assertTrue(r.format().contains("total"));
  }

  @Test
  void count_locAtNumLayers_equalsPlain() throws IOException {
    ExperimentConfig c = named("im1k_token_learner");
    ExperimentConfig noTl =
        c.withModel(c.model().withTokenizer(c.model().tokenizer().withTokenlearnerLoc(12)));
    FlopReport r = FlopCounter.count(noTl);
    assertEquals(r.plainFlops(), r.flops());
    assertEquals(r.plainParams(), r.params());
  }
}
