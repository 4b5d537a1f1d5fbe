"""The parts of a Ti/16 forward at batch 8 under Python TF's jit_compile, as XlaParts.java times them.

Usage: python xla_parts.py REPS
"""
import sys, time, numpy as np, tensorflow as tf
reps = int(sys.argv[1]); rng = np.random.default_rng(3)
def c(*s): return tf.constant(rng.uniform(-1, 1, s).astype(np.float32))
def ln(x):
  m = tf.reduce_mean(x, -1, keepdims=True); m2 = tf.reduce_mean(x * x, -1, keepdims=True)
  return (x - m) * tf.math.rsqrt(tf.maximum(0.0, m2 - m * m) + 1e-6)
W1, W2, Wq = c(192, 768) * 0.05, c(768, 192) * 0.05, c(192, 192) * 0.05
def f_ln(y):
  for _ in range(25): y = ln(y) + 0.5 * y
  return y
def f_sm(y):
  for _ in range(12): y = tf.nn.softmax(y) + y
  return y
def f_dense(y):
  for _ in range(12):
    for _ in range(4): y = y @ Wq + y
    y = (y @ W1) @ W2 + y
  return y
def f_gelu(y):
  for _ in range(12): y = tf.nn.gelu(y, approximate=False) + 0.5 * y
  return y
def f_att(q, k, v):
  for _ in range(12): q = tf.einsum("bhqk,bhkd->bhqd", tf.einsum("bhqd,bhkd->bhqk", q, k), v) * 0.01 + q
  return q
parts = {"ln": (f_ln, (c(8, 196, 192),)), "softmax": (f_sm, (c(8, 3, 196, 196),)),
         "dense": (f_dense, (c(1568, 192),)), "gelu": (f_gelu, (c(1568, 768),)),
         "attention": (f_att, (c(8, 3, 196, 64), c(8, 3, 196, 64), c(8, 3, 196, 64)))}
fs = {k: tf.function(f, jit_compile=True) for k, (f, _) in parts.items()}
for k in parts:
  for _ in range(3): fs[k](*parts[k][1]).numpy()
t = {k: [] for k in parts}
for r in range(reps):
  for k in parts:
    t0 = time.perf_counter(); fs[k](*parts[k][1]).numpy(); t[k].append((time.perf_counter() - t0) * 1e3)
print("RESULT py221 " + " ".join("%s %.2f" % (k, np.median(v)) for k, v in t.items()), flush=True)
