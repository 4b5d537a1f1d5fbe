"""One ViT / TokenLearner model in Python TensorFlow, for the Java benchmark's XLA rows.

Usage: python3 vit_xla_reference.py WIDTH HEADS MLP LAYERS TOKENS LOC CLASSES BATCH KIND WARMUP REPS
  TOKENS 0 builds the plain ViT; otherwise TokenLearner v1.1 (bottleneck 64) learns TOKENS tokens
  before block LOC. KIND is "forward" (inference logits) or "train" (softmax cross-entropy on
  one-hot labels, gradients of every variable and an SGD update, dropout 0.1 as Scenic's default).
Prints "PY_MS <mode> <ms> <ms> ..." per mode (graph: tf.function; xla: jit_compile=True), the
modes interleaved round by round.

The model follows the Java one: conv patch embedding 16x16, learned position embedding, pre-LN
blocks with exact GELU, final LayerNorm, mean pooling and a linear head, 224x224x3 input.
"""
import sys
import time

import numpy as np
import tensorflow as tf

(D, HEADS, MLP, LAYERS, TOKENS, LOC, CLASSES, BATCH) = (int(a) for a in sys.argv[1:9])
KIND = sys.argv[9]
WARMUP, REPS = int(sys.argv[10]), int(sys.argv[11])
PATCH, SIDE, BOTTLENECK, DROP, LR = 16, 224, 64, 0.1, 1e-4
N = (SIDE // PATCH) ** 2
TRAIN = KIND == "train"
rng = np.random.default_rng(0)
variables = []


def var(*shape, scale=None):
  fan_in = shape[0] if len(shape) > 1 else 1
  s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
  v = tf.Variable((rng.standard_normal(shape) * s).astype(np.float32))
  variables.append(v)
  return v


def ln_params():
  return var(D, scale=1.0), var(D, scale=0.0)


emb_k = var(PATCH, PATCH, 3, D, scale=1.0 / np.sqrt(PATCH * PATCH * 3))
emb_b = var(D, scale=0.02)
pos = var(1, N, D, scale=0.02)
blocks = []
for _ in range(LAYERS):
  blocks.append(dict(
      ln0=ln_params(), wq=var(D, D), bq=var(D, scale=0.0), wk=var(D, D), bk=var(D, scale=0.0),
      wv=var(D, D), bv=var(D, scale=0.0), wo=var(D, D), bo=var(D, scale=0.0),
      ln1=ln_params(), w1=var(D, MLP), b1=var(MLP, scale=0.0), w2=var(MLP, D),
      b2=var(D, scale=0.0)))
if TOKENS:
  tl = dict(ln=ln_params(), w1=var(D, BOTTLENECK), b1=var(BOTTLENECK, scale=0.0),
            w2=var(BOTTLENECK, TOKENS), b2=var(TOKENS, scale=0.0))
norm = ln_params()
head_w, head_b = var(D, CLASSES, scale=0.02), var(CLASSES, scale=0.0)


def layer_norm(x, p):
  m = tf.reduce_mean(x, -1, keepdims=True)
  v = tf.reduce_mean(tf.square(x - m), -1, keepdims=True)
  return (x - m) * tf.math.rsqrt(v + 1e-6) * p[0] + p[1]


def dropout(x, seed):
  if not TRAIN:
    return x
  return tf.nn.experimental.stateless_dropout(x, DROP, seed=seed)


def mlp(x, w1, b1, w2, b2, seed):
  h = dropout(tf.nn.gelu(x @ w1 + b1, approximate=False), seed)
  return dropout(h @ w2 + b2, seed + [0, 1])


def block(y, p, seed):
  n = tf.shape(y)[1]
  hd = D // HEADS
  h = layer_norm(y, p["ln0"])
  q = tf.reshape(h @ p["wq"] + p["bq"], [-1, n, HEADS, hd]) / np.sqrt(hd)
  k = tf.reshape(h @ p["wk"] + p["bk"], [-1, n, HEADS, hd])
  v = tf.reshape(h @ p["wv"] + p["bv"], [-1, n, HEADS, hd])
  a = dropout(tf.nn.softmax(tf.einsum("bqhd,bkhd->bhqk", q, k), axis=-1), seed)
  o = tf.reshape(tf.einsum("bhqk,bkhd->bqhd", a, v), [-1, n, D])
  y = y + dropout(o @ p["wo"] + p["bo"], seed + [0, 1])
  h = layer_norm(y, p["ln1"])
  return y + mlp(h, p["w1"], p["b1"], p["w2"], p["b2"], seed + [0, 2])


def token_learner(x, seed):
  s = layer_norm(x, tl["ln"])
  s = mlp(s, tl["w1"], tl["b1"], tl["w2"], tl["b2"], seed)  # [b, S, K]
  w = tf.nn.softmax(tf.transpose(s, [0, 2, 1]), axis=-1)  # [b, K, S]
  return tf.einsum("bks,bsd->bkd", w, x)


def forward(x):
  seed = tf.constant([1, 0], tf.int32)
  y = tf.nn.conv2d(x, emb_k, strides=PATCH, padding="VALID") + emb_b
  y = dropout(tf.reshape(y, [-1, N, D]) + pos, seed)
  for i, p in enumerate(blocks):
    if TOKENS and i == LOC:
      y = token_learner(y, seed + [100, i])
    y = block(y, p, seed + [10 * (i + 1), 0])
  y = tf.reduce_mean(layer_norm(y, norm), axis=1)
  return y @ head_w + head_b


def train_step(x, labels):
  with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels, forward(x)))
  grads = tape.gradient(loss, variables)
  for v, g in zip(variables, grads):
    v.assign_sub(LR * g)
  return loss


images = tf.constant(rng.uniform(-1, 1, (BATCH, SIDE, SIDE, 3)).astype(np.float32))
onehot = tf.one_hot(np.arange(BATCH) % CLASSES, CLASSES)
fn = train_step if TRAIN else forward
args = (images, onehot) if TRAIN else (images,)
modes = {
    "graph": tf.function(fn, jit_compile=False),
    "xla": tf.function(fn, jit_compile=True),
}
for _ in range(WARMUP):
  for f in modes.values():
    f(*args).numpy()
times = {m: [] for m in modes}
names = list(modes)
for r in range(REPS):
  for i in range(len(names)):
    m = names[(r + i) % len(names)]
    t0 = time.perf_counter()
    modes[m](*args).numpy()
    times[m].append((time.perf_counter() - t0) * 1e3)
for m in names:
  print("PY_MS " + m + " " + " ".join("%.3f" % t for t in times[m]), flush=True)
