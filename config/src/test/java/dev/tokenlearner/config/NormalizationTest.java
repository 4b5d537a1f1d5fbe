package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NormalizationTest {

  private static final String MODEL =
      "model_name: token_learner_classification\nnum_classes: 3\nimage_size: 16\nmodel:\n  hidden_size: 8\n  num_heads: 2\n  mlp_dim: 16\n"
          + "  num_layers: 1\n  representation_size: null\n  classifier: gap\n"
          + "  tokenizer: {type: patch, patches: {size: [4, 4]}, num_tokens: 0,"
          + " tokenlearner_loc: 1, use_tokenfuse: false}\n";

  private static Normalization of(String extra) {
    return Normalization.of(ConfigLoader.parse(MODEL + extra, "test.yaml"));
  }

  @Test
  void of_noKeyNoDataset_isZeroCentered() {
    assertEquals(Normalization.ZERO_CENTERED, of(""));
  }

  @Test
  void of_imagenetDataset_isImagenet() {
    assertEquals(Normalization.IMAGENET, of("dataset_name: imagenet2012\n"));
  }

  @Test
  void of_explicitKey_winsOverDataset() {
    assertEquals(
        Normalization.NONE, of("dataset_name: imagenet\npreprocessing: {normalization: none}\n"));
  }

  @Test
  void of_unknownValue_throwsListingAccepted() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> of("preprocessing: {normalization: percent}\n"));
    assertTrue(e.getMessage().contains("imagenet, zero_centered, none"), e.getMessage());
  }

  @Test
  void apply_imagenetMeanPixel_isZeroAndOneStdIsOne() {
    for (int c = 0; c < 3; c++) {
      double mean = 255 * Normalization.IMAGENET_MEAN[c];
      double std = 255 * Normalization.IMAGENET_STD[c];
      assertEquals(0f, Normalization.IMAGENET.apply(mean, c), 1e-6f);
      assertEquals(1f, Normalization.IMAGENET.apply(mean + std, c), 1e-6f);
    }
  }

  @Test
  void apply_zeroCentered_mapsEndsToMinusOneAndOne() {
    assertEquals(-1f, Normalization.ZERO_CENTERED.apply(0, 0));
    assertEquals(1f, Normalization.ZERO_CENTERED.apply(255, 2));
    assertEquals(17f, Normalization.NONE.apply(17, 1));
  }
}
