"""Fixed cost of one jit_compile call as vit_xla_reference.py's forward makes it (image and 199 variables in,
a tiny body, an [8, 1000] result out); XlaCallOverhead.java times the same in TF Java."""
import time, numpy as np, tensorflow as tf
ws = [tf.Variable(np.full(192, 0.001 * i, np.float32)) for i in range(199)]
@tf.function(jit_compile=True)
def f(img):
  acc = tf.zeros([8, 1000])
  for w in ws: acc = acc + tf.reduce_sum(w)
  return acc + tf.reshape(img[:, 0, 0, 0], [8, 1])
x = tf.constant(np.zeros((8, 224, 224, 3), np.float32))
for _ in range(20): f(x).numpy()
t = []
for _ in range(301):
  t0 = time.perf_counter(); f(x).numpy(); t.append((time.perf_counter() - t0) * 1e3)
t.sort(); print("RESULT py221 compiled call, 200 inputs, tiny body: median %.3f ms p10 %.3f" % (t[150], t[30]))
