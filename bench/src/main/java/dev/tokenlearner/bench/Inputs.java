package dev.tokenlearner.bench;

import dev.tokenlearner.config.InputSpec;
import java.util.SplittableRandom;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Fixed random inputs, created once per batch size and fed to every run. */
final class Inputs {

  private Inputs() {}

  /**
   * Images uniform in {@code [-1, 1)}.
   *
   * @param input the input spec
   * @param batch batch size
   * @param seed random seed
   * @return a new tensor {@code [batch, H, W, C]}; the caller closes it
   */
  static TFloat32 images(InputSpec input, int batch, long seed) {
    long[] shape = input.shape(batch);
    float[] v = new float[Math.toIntExact(dev.tokenlearner.core.HostArray.numElements(shape))];
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false));
  }

  /**
   * Class labels, example {@code i} of class {@code i mod classes}.
   *
   * @param classes number of classes
   * @param batch batch size
   * @return a new tensor {@code [batch]}; the caller closes it
   */
  static TInt32 labels(int classes, int batch) {
    int[] v = new int[batch];
    for (int i = 0; i < batch; i++) {
      v[i] = i % classes;
    }
    return TInt32.vectorOf(v);
  }
}
