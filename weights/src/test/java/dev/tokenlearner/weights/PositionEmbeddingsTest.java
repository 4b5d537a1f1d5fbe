package dev.tokenlearner.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import org.junit.jupiter.api.Test;

class PositionEmbeddingsTest {

  /** A 3x3x2 grid of sin values, the input of the scipy runs below. */
  private static final float[] GRID_3X3 = {
    1.6829419136047363f, 1.8185948133468628f, 0.28224000334739685f, -1.513604998588562f,
    -1.9178485870361328f, -0.558830976486206f, 1.3139731884002686f, 1.978716492652893f,
    0.8242369890213013f, -1.0880422592163086f, -1.9999804496765137f, -1.073145866394043f,
    0.8403340578079224f, 1.9812147617340088f, 1.3005757331848145f, -0.5758066177368164f,
    -1.9227949380874634f, -1.5019744634628296f
  };

  /** {@code scipy.ndimage.zoom(GRID_3X3, (4/3, 4/3, 1), order=1)} from scipy 1.17. */
  private static final float[] SCIPY_4X4 = {
    1.6829419136047363f, 1.8185948133468628f, 0.7491406202316284f, -0.4028717279434204f,
    -0.45112285017967224f, -1.1953469514846802f, -1.9178485870361328f, -0.558830976486206f,
    1.4369627237319946f, 1.9253425598144531f, 0.908035159111023f, -0.17815013229846954f,
    -0.2284868359565735f, -1.1205002069473267f, -1.97260320186615f, -0.9017075896263123f,
    1.1560934782028198f, 1.9795492887496948f, 1.0407088994979858f, 0.04831838607788086f,
    -0.002739601768553257f, -1.0168942213058472f, -1.9742519855499268f, -1.2160887718200684f,
    0.8403340578079224f, 1.9812147617340088f, 1.147161841392517f, 0.276533842086792f,
    0.22611884772777557f, -0.8845292329788208f, -1.9227949380874634f, -1.5019744634628296f
  };

  /** {@code scipy.ndimage.zoom(GRID_3X3, (5/3, 2/3, 1), order=1)}: shape [5, 2, 2]. */
  private static final float[] SCIPY_5X2 = {
    1.6829419136047363f, 1.8185948133468628f, -1.9178485870361328f, -0.558830976486206f,
    1.4984575510025024f, 1.898655652999878f, -1.9589145183563232f, -0.8159884214401245f,
    1.3139731884002686f, 1.978716492652893f, -1.9999804496765137f, -1.073145866394043f,
    1.0771536827087402f, 1.9799656867980957f, -1.9613876342773438f, -1.287560224533081f,
    0.8403340578079224f, 1.9812147617340088f, -1.9227949380874634f, -1.5019744634628296f
  };

  @Test
  void zoomLinear_3x3To4x4_matchesScipyZoomOrder1() {
    HostArray out =
        PositionEmbeddings.zoomLinear(new HostArray(new long[] {3, 3, 2}, GRID_3X3), 4, 4);
    assertArrayEquals(new long[] {4, 4, 2}, out.shape());
    assertArrayEquals(SCIPY_4X4, out.data(), 1e-6f);
  }

  @Test
  void zoomLinear_nonSquareTarget_matchesScipyZoomOrder1() {
    HostArray out =
        PositionEmbeddings.zoomLinear(new HostArray(new long[] {3, 3, 2}, GRID_3X3), 5, 2);
    assertArrayEquals(SCIPY_5X2, out.data(), 1e-6f);
  }

  @Test
  void zoomLinear_largeUpsample_keepsCornersExactly() {
    // 14 -> 24 is the ViT-B/16 224 -> 384 case; rounding of o*(in-1)/(out-1) must not lose the edge
    int in = 14;
    float[] data = new float[in * in];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) Math.cos(i * 0.37);
    }
    HostArray out =
        PositionEmbeddings.zoomLinear(new HostArray(new long[] {in, in, 1}, data), 24, 24);
    float[] o = out.data();
    assertEquals(data[0], o[0]);
    assertEquals(data[in - 1], o[23]);
    assertEquals(data[in * (in - 1)], o[24 * 23]);
    assertEquals(data[in * in - 1], o[24 * 24 - 1]);
  }

  @Test
  void adapt_sameLength_returnsSource() {
    HostArray src = new HostArray(new long[] {1, 9, 2}, GRID_3X3);
    assertSame(src, PositionEmbeddings.adapt(src, 3, 3));
  }

  @Test
  void adapt_classTokenRowAndSameGrid_dropsRowZero() {
    float[] withCls = new float[20];
    withCls[0] = 99f;
    withCls[1] = 98f;
    System.arraycopy(GRID_3X3, 0, withCls, 2, 18);
    HostArray out = PositionEmbeddings.adapt(new HostArray(new long[] {1, 10, 2}, withCls), 3, 3);
    assertArrayEquals(new long[] {1, 9, 2}, out.shape());
    assertArrayEquals(GRID_3X3, out.data());
  }

  @Test
  void adapt_classTokenAndLargerGrid_dropsRowThenZooms() {
    float[] withCls = new float[20];
    System.arraycopy(GRID_3X3, 0, withCls, 2, 18);
    HostArray out = PositionEmbeddings.adapt(new HostArray(new long[] {1, 10, 2}, withCls), 4, 4);
    assertArrayEquals(new long[] {1, 16, 2}, out.shape());
    assertArrayEquals(SCIPY_4X4, out.data(), 1e-6f);
  }

  @Test
  void adapt_nonSquareSource_throwsNamingTokenCount() {
    HostArray src = HostArray.zeros(1, 12, 2);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PositionEmbeddings.adapt(src, 4, 4));
    assertTrue(e.getMessage().contains("12 tokens"), e.getMessage());
  }

  @Test
  void adapt_wrongRank_throwsWithShape() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PositionEmbeddings.adapt(HostArray.zeros(9, 2), 3, 3));
    assertTrue(e.getMessage().contains("[9, 2]"), e.getMessage());
  }
}
