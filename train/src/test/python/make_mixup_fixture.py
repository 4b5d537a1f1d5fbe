"""Writes train/src/test/resources/mixup/scenic_mixup.npz: Scenic's mixup and losses on one batch.

Runs Scenic's own scenic.dataset_lib.dataset_utils.mixup (the JAX branch, as its classification
trainers call it in train_step) on a fixed batch of images and one-hot labels, then Scenic's
metrics and losses (scenic.model_lib.base_models.model_utils) on fixed logits against the mixed
labels:
  weighted_softmax_cross_entropy and weighted_sigmoid_cross_entropy with label_smoothing (which
  smooth the mixed labels), weighted_correctly_classified (the softmax model's training accuracy)
  and weighted_top_one_correctly_classified (the sigmoid model's prec@1).

The mixing weight comes from jax.random.beta, which the Java trainer does not reproduce (it draws
its own from (seed, step)), so the file records it as `lambda`; the Java test feeds it and checks
the mixing, label smoothing, losses and accuracy counts.

Arrays: images [B, H, W, C] float32, labels [B] int32, logits [B, K] float32, lambda [] float32,
mixed_images, mixed_labels [B, K], softmax_loss, sigmoid_loss, correct, prec1 (float32 scalars),
label_smoothing, alpha.

Rerun (a venv with jax, flax, numpy, absl-py; tensorflow and tensorflow_datasets are stubbed,
dataset_utils imports them only for its input pipelines):
  python3 train/src/test/python/make_mixup_fixture.py --scenic /path/to/scenic \
      --out train/src/test/resources/mixup/scenic_mixup.npz
"""

import argparse
import sys
import types

import numpy as np

BATCH = 6
SIDE = 4
CHANNELS = 3
NUM_CLASSES = 5
ALPHA = 0.4
LABEL_SMOOTHING = 0.1
LABELS = [0, 3, 1, 1, 4, 2]


class _Anything:
  """Stands in for any attribute of a stubbed module (used only in annotations at import)."""

  def __getattr__(self, name):
    return _Anything()

  def __getitem__(self, item):
    return _Anything()

  def __call__(self, *args, **kwargs):
    return _Anything()


def _stub(name):
  module = types.ModuleType(name)
  module.__getattr__ = lambda attr: _Anything()
  return module


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--scenic", required=True, help="a Scenic checkout (the folder holding scenic/)")
  ap.add_argument("--out", required=True)
  args = ap.parse_args()
  for name in ("tensorflow", "tensorflow_datasets"):
    sys.modules.setdefault(name, _stub(name))
  sys.path.insert(0, args.scenic)
  import jax
  import jax.numpy as jnp
  from scenic.dataset_lib import dataset_utils
  from scenic.model_lib.base_models import model_utils

  rs = np.random.RandomState(7)
  images = rs.normal(size=(BATCH, SIDE, SIDE, CHANNELS)).astype(np.float32)
  labels = np.array(LABELS, np.int32)
  onehot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
  # A key whose weight is well inside (0, 1/2): the reversed batch's labels win the argmax.
  key = next(k for k in range(100) if 0.2 < jax.random.beta(jax.random.PRNGKey(k), ALPHA, ALPHA) < 0.45)
  rng = jax.random.PRNGKey(key)
  lam = np.float32(jax.random.beta(rng, ALPHA, ALPHA))
  batch = dataset_utils.mixup(
      {"inputs": jnp.asarray(images), "label": jnp.asarray(onehot)}, ALPHA, "NHWC", rng=rng)
  mixed_labels = batch["label"]
  # Logits that favour the mixed labels' argmax on the first four examples only, so the accuracy
  # count is neither 0 nor the batch.
  favoured = np.eye(NUM_CLASSES, dtype=np.float32)[np.argmax(np.asarray(mixed_labels), -1)]
  favoured[4:] = 0
  logits = (rs.normal(scale=1.0, size=(BATCH, NUM_CLASSES)) + 4 * favoured).astype(np.float32)
  out = {
      "images": images,
      "labels": labels,
      "logits": logits,
      "lambda": np.array(lam, np.float32),
      "alpha": np.array(ALPHA, np.float32),
      "label_smoothing": np.array(LABEL_SMOOTHING, np.float32),
      "mixed_images": np.asarray(batch["inputs"], np.float32),
      "mixed_labels": np.asarray(mixed_labels, np.float32),
      "softmax_loss": np.array(
          model_utils.weighted_softmax_cross_entropy(
              jnp.asarray(logits), mixed_labels, label_smoothing=LABEL_SMOOTHING), np.float32),
      "sigmoid_loss": np.array(
          model_utils.weighted_sigmoid_cross_entropy(
              jnp.asarray(logits), mixed_labels, label_smoothing=LABEL_SMOOTHING), np.float32),
      "correct": np.array(
          jnp.sum(model_utils.weighted_correctly_classified(jnp.asarray(logits), mixed_labels)),
          np.float32),
      "prec1": np.array(
          jnp.sum(
              model_utils.weighted_top_one_correctly_classified(
                  jnp.asarray(logits), mixed_labels)), np.float32),
  }
  # The mixed labels must be what the recorded weight gives (the file's own consistency check).
  rev = onehot[::-1]
  np.testing.assert_allclose(out["mixed_labels"], lam * onehot + (1 - lam) * rev, rtol=1e-6)
  np.savez(args.out, **out)
  for k in ("lambda", "softmax_loss", "sigmoid_loss", "correct", "prec1"):
    print(k, out[k])


if __name__ == "__main__":
  main()
