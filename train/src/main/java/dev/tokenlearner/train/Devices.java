package dev.tokenlearner.train;

import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;

/**
 * Which device TensorFlow will run the training ops on. The CPU natives are the default; the GPU
 * natives come with the Maven profile {@code gpu} (TensorFlow 2.18 needs CUDA 12.5 and cuDNN 9.3 on
 * the library path) and place ops on the first GPU.
 */
public final class Devices {

  private Devices() {}

  /**
   * Session options: soft placement (ops without a GPU kernel fall back to the CPU) and, if asked,
   * TensorFlow's own log of every op's device.
   *
   * @param logPlacement whether TensorFlow logs each op's device
   * @return the session config
   */
  public static ConfigProto sessionConfig(boolean logPlacement) {
    return ConfigProto.newBuilder()
        .setAllowSoftPlacement(true)
        .setLogDevicePlacement(logPlacement)
        .build();
  }

  /**
   * Probes for a GPU by placing one op on {@code /device:GPU:0} without soft placement.
   *
   * @return {@code /device:GPU:0} if TensorFlow can use a GPU, else {@code /device:CPU:0}
   */
  public static String preferredDevice() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var probe =
          tf.withDevice(
                  DeviceSpec.newBuilder()
                      .deviceType(DeviceSpec.DeviceType.GPU)
                      .deviceIndex(0)
                      .build())
              .identity(tf.constant(1f));
      try (Session s =
          new Session(g, ConfigProto.newBuilder().setAllowSoftPlacement(false).build())) {
        s.runner().fetch(probe).run().close();
        return "/device:GPU:0";
      } catch (RuntimeException e) {
        return "/device:CPU:0";
      }
    }
  }
}
