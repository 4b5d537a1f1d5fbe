"""One ViT / TokenLearner model in Python TensorFlow, for the Java benchmark's XLA rows.

Usage: python3 vit_xla_reference.py --width D --heads H --mlp M --layers L [--tokens K --loc l]
           --classes C --batch B --kind forward|train [--warmup W --reps R] [training options]
       python3 vit_xla_reference.py ... --kind train --check DIR --steps S
       python3 vit_xla_reference.py ... --kind train --data DIR --warmup W --reps R [--jit]

--tokens 0 builds the plain ViT; otherwise TokenLearner v1.1 (bottleneck 64) learns K tokens before
block l. "forward" times the inference logits. "train" times the trainer's step as the Java
TrainStep runs it: the training forward pass (dropout), the mean loss (softmax cross-entropy, or
sigmoid cross-entropy summed over classes for Scenic's multilabel models), gradients of every
parameter, clipping by global norm, the learning rate of the global step (Scenic's compound
schedule: constant * linear_warmup * linear_decay) and optax's Adam(W) update, then step += 1.

Timing prints "PY_MS <mode> <ms> <ms> ..." per mode (graph: tf.function; xla: jit_compile=True),
the modes interleaved round by round. --check DIR loads the weights, images and labels the Java
side wrote there (manifest.txt: "name d0 d1 ..." per line, NAME.f32: little-endian float32), runs S
steps in each mode from those weights and prints "PY_STEPS <mode> <loss> <grad_norm> ..." per mode.
--data DIR trains from a folder of class folders of images instead: tf.data reads, decodes and
augments them as `bench --input`'s tf.data reference does (inception crop 8-100 % / aspect
3/4-4/3, bilinear resize to SIDE, flip, ImageNet normalisation; parallel map, batch, prefetch, all
autotuned), feeding the step (tf.function, or jit_compile with --jit); after W steps it times R
steps and prints "PY_IPS <mode> <images/s>".

The model follows the Java one: conv patch embedding, learned position embedding, pre-LN blocks
with exact GELU, final LayerNorm, mean pooling and a linear head; parameters carry Scenic's Flax
paths so a check can load the Java weights by name.
"""
import argparse
import os
import time

import numpy as np
import tensorflow as tf

ap = argparse.ArgumentParser()
for name in ("width", "heads", "mlp", "layers", "classes", "batch"):
  ap.add_argument("--" + name, type=int, required=True)
ap.add_argument("--tokens", type=int, default=0)
ap.add_argument("--loc", type=int, default=0)
ap.add_argument("--side", type=int, default=224)
ap.add_argument("--patch", type=int, default=16)
ap.add_argument("--kind", choices=("forward", "train"), required=True)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--dropout", type=float, default=0.1)
ap.add_argument("--attention-dropout", type=float, default=0.1)
ap.add_argument("--loss", choices=("softmax", "sigmoid"), default="softmax")
ap.add_argument("--optimizer", choices=("adam", "adamw"), default="adam")
ap.add_argument("--beta1", type=float, default=0.9)
ap.add_argument("--beta2", type=float, default=0.999)
ap.add_argument("--eps", type=float, default=1e-8)
ap.add_argument("--weight-decay", type=float, default=0.0)
ap.add_argument("--max-grad-norm", type=float, default=1.0)
ap.add_argument("--lr-factors", default="constant*linear_warmup*linear_decay")
ap.add_argument("--lr-base", type=float, default=1e-3)
ap.add_argument("--lr-warmup", type=float, default=0.0)
ap.add_argument("--lr-warmup-alpha", type=float, default=0.0)
ap.add_argument("--lr-total", type=float, default=1.0)
ap.add_argument("--lr-end", type=float, default=0.0)
ap.add_argument("--check")
ap.add_argument("--data")
ap.add_argument("--jit", action="store_true")
ap.add_argument("--steps", type=int, default=3)
a = ap.parse_args()

D, HEADS, MLP, LAYERS, TOKENS, LOC = a.width, a.heads, a.mlp, a.layers, a.tokens, a.loc
CLASSES, BATCH, PATCH, SIDE, BOTTLENECK = a.classes, a.batch, a.patch, a.side, 64
N = (SIDE // PATCH) ** 2
TRAIN = a.kind == "train"
rng = np.random.default_rng(0)
params = {}  # Flax path -> tf.Variable, in creation order


def var(path, *shape, scale=None):
  fan_in = shape[0] if len(shape) > 1 else 1
  s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
  v = tf.Variable((rng.standard_normal(shape) * s).astype(np.float32), name=path.replace("/", "."))
  params[path] = v
  return v


def ln_params(path):
  return var(path + "/scale", D, scale=1.0), var(path + "/bias", D, scale=0.0)


def dense(path, n_in, n_out, scale=None):
  return var(path + "/kernel", n_in, n_out, scale=scale), var(path + "/bias", n_out, scale=0.0)


emb_k = var("embedding/kernel", PATCH, PATCH, 3, D, scale=1.0 / np.sqrt(PATCH * PATCH * 3))
emb_b = var("embedding/bias", D, scale=0.02)
pos = var("Transformer/posembed_input/pos_embedding", 1, N, D, scale=0.02)
blocks = []
for i in range(LAYERS):
  b = "Transformer/encoderblock_%d/" % i
  att = b + "MultiHeadDotProductAttention_0/"
  # Query/key/value/out kernels as [D, D]: Flax's [D, H, hd] and [H, hd, D] reshaped row-major.
  blocks.append(dict(
      ln0=ln_params(b + "LayerNorm_0"), q=dense(att + "query", D, D), k=dense(att + "key", D, D),
      v=dense(att + "value", D, D), o=dense(att + "out", D, D), ln1=ln_params(b + "LayerNorm_1"),
      d0=dense(b + "MlpBlock_0/Dense_0", D, MLP), d1=dense(b + "MlpBlock_0/Dense_1", MLP, D)))
if TOKENS:
  t = "Transformer/TokenLearnerModuleV11_0/"
  tl = dict(ln=ln_params(t + "LayerNorm_0"), d0=dense(t + "token_masking/Dense_0", D, BOTTLENECK),
            d1=dense(t + "token_masking/Dense_1", BOTTLENECK, TOKENS))
norm = ln_params("Transformer/encoder_norm")
head = dense("output_projection", D, CLASSES, scale=0.02)
variables = list(params.values())


def layer_norm(x, p):
  m = tf.reduce_mean(x, -1, keepdims=True)
  v = tf.reduce_mean(tf.square(x - m), -1, keepdims=True)
  return (x - m) * tf.math.rsqrt(v + 1e-6) * p[0] + p[1]


def dropout(x, rate, seed):
  if not TRAIN or rate == 0:
    return x
  return tf.nn.experimental.stateless_dropout(x, rate, seed=seed)


def mlp(x, d0, d1, seed):
  h = dropout(tf.nn.gelu(x @ d0[0] + d0[1], approximate=False), a.dropout, seed)
  return dropout(h @ d1[0] + d1[1], a.dropout, seed + [0, 1])


def block(y, p, seed):
  n = tf.shape(y)[1]
  hd = D // HEADS
  h = layer_norm(y, p["ln0"])
  q = tf.reshape(h @ p["q"][0] + p["q"][1], [-1, n, HEADS, hd]) / np.sqrt(hd)
  k = tf.reshape(h @ p["k"][0] + p["k"][1], [-1, n, HEADS, hd])
  v = tf.reshape(h @ p["v"][0] + p["v"][1], [-1, n, HEADS, hd])
  att = tf.nn.softmax(tf.einsum("bqhd,bkhd->bhqk", q, k), axis=-1)
  att = dropout(att, a.attention_dropout, seed)
  o = tf.reshape(tf.einsum("bhqk,bkhd->bqhd", att, v), [-1, n, D])
  y = y + dropout(o @ p["o"][0] + p["o"][1], a.dropout, seed + [0, 1])
  h = layer_norm(y, p["ln1"])
  return y + mlp(h, p["d0"], p["d1"], seed + [0, 2])


def token_learner(x, seed):
  s = mlp(layer_norm(x, tl["ln"]), tl["d0"], tl["d1"], seed)  # [b, S, K]
  w = tf.nn.softmax(tf.transpose(s, [0, 2, 1]), axis=-1)  # [b, K, S]
  return tf.einsum("bks,bsd->bkd", w, x)


def forward(x):
  seed = tf.constant([1, 0], tf.int32)
  y = tf.nn.conv2d(x, emb_k, strides=PATCH, padding="VALID") + emb_b
  y = dropout(tf.reshape(y, [-1, N, D]) + pos, a.dropout, seed)
  for i, p in enumerate(blocks):
    if TOKENS and i == LOC:
      y = token_learner(y, seed + [100, i])
    y = block(y, p, seed + [10 * (i + 1), 0])
  y = tf.reduce_mean(layer_norm(y, norm), axis=1)
  return y @ head[0] + head[1]


# Optimizer state: Adam's moments per parameter and the global step.
mus = [tf.Variable(tf.zeros_like(v)) for v in variables]
nus = [tf.Variable(tf.zeros_like(v)) for v in variables]
global_step = tf.Variable(0, dtype=tf.int64)


def learning_rate(step):
  s = tf.cast(step, tf.float64)
  ratio = tf.constant(1.0, tf.float64)
  for f in a.lr_factors.split("*"):
    if f == "constant":
      ratio = ratio * a.lr_base
    elif f == "linear_warmup":
      if a.lr_warmup > 0:
        w = a.lr_warmup_alpha + s * (1.0 - a.lr_warmup_alpha) / a.lr_warmup
        ratio = ratio * tf.minimum(tf.constant(1.0, tf.float64), w)
    elif f == "linear_decay":
      zero = tf.constant(0.0, tf.float64)
      progress = tf.maximum(zero, (s - a.lr_warmup) / (a.lr_total - a.lr_warmup))
      ratio = (ratio - a.lr_end) * tf.maximum(1.0 - progress, zero) + a.lr_end
    else:
      raise SystemExit("unsupported learning-rate factor " + f)
  return tf.cast(ratio, tf.float32)


def loss_of(logits, labels):
  targets = tf.one_hot(labels, CLASSES)
  if a.loss == "sigmoid":
    ce = tf.nn.relu(logits) - logits * targets + tf.math.log1p(tf.exp(-tf.abs(logits)))
    return tf.reduce_mean(tf.reduce_sum(ce, -1))
  return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))


def train_step(x, labels):
  with tf.GradientTape() as tape:
    loss = loss_of(forward(x), labels)
  grads = tape.gradient(loss, variables)
  norm_ = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads]))
  factor = tf.where(norm_ < a.max_grad_norm, 1.0, a.max_grad_norm / norm_)
  step = global_step.read_value()
  lr = learning_rate(step)
  c = tf.cast(step + 1, tf.float32)
  bc1, bc2 = 1.0 - tf.pow(a.beta1, c), 1.0 - tf.pow(a.beta2, c)
  for v, g, mu, nu in zip(variables, grads, mus, nus):
    g = g * factor
    mu1 = (1.0 - a.beta1) * g + a.beta1 * mu
    nu1 = (1.0 - a.beta2) * tf.square(g) + a.beta2 * nu
    u = (mu1 / bc1) / (tf.sqrt(nu1 / bc2) + a.eps)
    if a.optimizer == "adamw" and a.weight_decay:
      u = u + a.weight_decay * v
    mu.assign(mu1)
    nu.assign(nu1)
    v.assign_sub(lr * u)
  global_step.assign_add(1)
  return tf.stack([loss, norm_])


modes = {
    "graph": tf.function(train_step if TRAIN else forward, jit_compile=False),
    "xla": tf.function(train_step if TRAIN else forward, jit_compile=True),
}


def read_f32(directory):
  arrays = {}
  with open(os.path.join(directory, "manifest.txt")) as f:
    for line in f:
      parts = line.split()
      if parts:
        shape = [int(d) for d in parts[1:]]
        raw = np.fromfile(os.path.join(directory, parts[0].replace("/", ".") + ".f32"), "<f4")
        arrays[parts[0]] = raw.reshape(shape)
  return arrays


def check(directory):
  arrays = read_f32(directory)
  images = tf.constant(arrays.pop("images"))
  labels = tf.constant(arrays.pop("labels").astype(np.int32))
  missing = sorted(set(params) ^ set(arrays))
  if missing:
    raise SystemExit("parameters not in both models: " + ", ".join(missing))
  for name in modes:
    for path, v in params.items():
      v.assign(arrays[path].reshape(v.shape))
    for s in mus + nus:
      s.assign(tf.zeros_like(s))
    global_step.assign(0)
    out = [modes[name](images, labels).numpy() for _ in range(a.steps)]
    print("PY_STEPS " + name + " " + " ".join("%.8g %.8g" % (o[0], o[1]) for o in out), flush=True)


def timing():
  images = tf.constant(rng.uniform(-1, 1, (BATCH, SIDE, SIDE, 3)).astype(np.float32))
  labels = tf.constant(np.arange(BATCH, dtype=np.int32) % CLASSES)
  args = (images, labels) if TRAIN else (images,)
  for _ in range(a.warmup):
    for f in modes.values():
      f(*args).numpy()
  times = {m: [] for m in modes}
  names = list(modes)
  for r in range(a.reps):
    for i in range(len(names)):
      m = names[(r + i) % len(names)]
      t0 = time.perf_counter()
      modes[m](*args).numpy()
      times[m].append((time.perf_counter() - t0) * 1e3)
  for m in names:
    print("PY_MS " + m + " " + " ".join("%.3f" % t for t in times[m]), flush=True)


def image_folder(directory):
  classes = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
  files, labels = [], []
  for i, c in enumerate(classes):
    for f in sorted(os.listdir(os.path.join(directory, c))):
      if f.lower().endswith((".jpg", ".jpeg", ".png")):
        files.append(os.path.join(directory, c, f))
        labels.append(i)
  mean = tf.constant([0.485 * 255, 0.456 * 255, 0.406 * 255])
  std = tf.constant([0.229 * 255, 0.224 * 255, 0.225 * 255])

  def augment(path, label):
    img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    begin, crop, _ = tf.image.sample_distorted_bounding_box(
        tf.shape(img), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
        min_object_covered=0.1, aspect_ratio_range=(3 / 4, 4 / 3), area_range=(0.08, 1.0),
        max_attempts=10, use_image_if_no_bounding_boxes=True)
    img = tf.image.resize(tf.slice(img, begin, crop), [SIDE, SIDE], method="bilinear")
    img = tf.image.random_flip_left_right(img)
    return (img - mean) / std, label

  ds = tf.data.Dataset.from_tensor_slices((files, labels)).shuffle(len(files), seed=0).repeat()
  ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
  return ds.batch(BATCH, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def data_timing(directory):
  mode = "xla" if a.jit else "graph"
  step = modes[mode]
  it = iter(image_folder(directory))
  for _ in range(a.warmup):
    step(*next(it)).numpy()
  t0 = time.perf_counter()
  for _ in range(a.reps):
    step(*next(it)).numpy()  # the loss and gradient norm, read every step as the Java trainer does
  print("PY_IPS %s %.3f" % (mode, a.reps * BATCH / (time.perf_counter() - t0)), flush=True)


if a.check:
  check(a.check)
elif a.data:
  data_timing(a.data)
else:
  timing()
