"""ViT-B/16 forward in Python TensorFlow, plain graph mode and XLA, for the Java benchmark.

Usage: python3 vit_reference.py BATCH WARMUP REPETITIONS
Prints one line per mode: "PY_MS <mode> <ms> <ms> ..." (modes: graph, xla), runs interleaved.
The model matches the Java one: conv patch embedding, learned position embedding, 12 pre-LN
blocks (width 768, 12 heads, MLP 3072, exact GELU), final LayerNorm, mean pooling, 1000-way head.
"""
import sys
import time

import numpy as np
import tensorflow as tf

BATCH, WARMUP, REPS = (int(a) for a in sys.argv[1:4])
D, HEADS, MLP, LAYERS, PATCH, SIDE, CLASSES = 768, 12, 3072, 12, 16, 224, 1000
N = (SIDE // PATCH) ** 2
rng = np.random.default_rng(0)


def var(*shape, scale=None):
  fan_in = shape[0] if len(shape) > 1 else 1
  s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
  return tf.Variable(rng.standard_normal(shape).astype(np.float32) * s)


emb_k = var(PATCH, PATCH, 3, D, scale=1.0 / np.sqrt(PATCH * PATCH * 3))
emb_b = var(D, scale=0.02)
pos = var(1, N, D, scale=0.02)
blocks = []
for _ in range(LAYERS):
  blocks.append(dict(
      ln0s=var(D, scale=1.0), ln0b=var(D, scale=0.0),
      wq=var(D, D), bq=var(D, scale=0.0), wk=var(D, D), bk=var(D, scale=0.0),
      wv=var(D, D), bv=var(D, scale=0.0), wo=var(D, D), bo=var(D, scale=0.0),
      ln1s=var(D, scale=1.0), ln1b=var(D, scale=0.0),
      w1=var(D, MLP), b1=var(MLP, scale=0.0), w2=var(MLP, D), b2=var(D, scale=0.0)))
norm_s, norm_b = var(D, scale=1.0), var(D, scale=0.0)
head_w, head_b = var(D, CLASSES), var(CLASSES, scale=0.0)


def layer_norm(x, s, b):
  m = tf.reduce_mean(x, -1, keepdims=True)
  v = tf.reduce_mean(tf.square(x - m), -1, keepdims=True)
  return (x - m) * tf.math.rsqrt(v + 1e-6) * s + b


def forward(x):
  y = tf.nn.conv2d(x, emb_k, strides=PATCH, padding="VALID") + emb_b
  y = tf.reshape(y, [-1, N, D]) + pos
  hd = D // HEADS
  for p in blocks:
    h = layer_norm(y, p["ln0s"], p["ln0b"])
    q = tf.reshape(h @ p["wq"] + p["bq"], [-1, N, HEADS, hd]) / np.sqrt(hd)
    k = tf.reshape(h @ p["wk"] + p["bk"], [-1, N, HEADS, hd])
    v = tf.reshape(h @ p["wv"] + p["bv"], [-1, N, HEADS, hd])
    a = tf.nn.softmax(tf.einsum("bqhd,bkhd->bhqk", q, k), axis=-1)
    o = tf.reshape(tf.einsum("bhqk,bkhd->bqhd", a, v), [-1, N, D])
    y = y + (o @ p["wo"] + p["bo"])
    h = layer_norm(y, p["ln1s"], p["ln1b"])
    h = tf.nn.gelu(h @ p["w1"] + p["b1"], approximate=False) @ p["w2"] + p["b2"]
    y = y + h
  y = tf.reduce_mean(layer_norm(y, norm_s, norm_b), axis=1)
  return y @ head_w + head_b


modes = {
    "graph": tf.function(forward, jit_compile=False),
    "xla": tf.function(forward, jit_compile=True),
}
images = tf.constant(rng.uniform(-1, 1, (BATCH, SIDE, SIDE, 3)).astype(np.float32))
for _ in range(WARMUP):
  for f in modes.values():
    f(images).numpy()
times = {m: [] for m in modes}
names = list(modes)
for r in range(REPS):
  for i in range(len(names)):
    m = names[(r + i) % len(names)]
    t0 = time.perf_counter()
    modes[m](images).numpy()
    times[m].append((time.perf_counter() - t0) * 1e3)
for m in names:
  print("PY_MS " + m + " " + " ".join("%.3f" % t for t in times[m]), flush=True)
