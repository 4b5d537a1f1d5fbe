"""Checks an exported model's serving_bytes signature in Python TensorFlow (not run by the build).

    ./tokenlearner predict --model MODEL --input IMAGES/ --output java_logits.npy
    python check_serving_bytes.py MODEL IMAGES/ java_logits.npy

Prints the largest differences between
  * serving_bytes run by Python TF and `tokenlearner predict` (Java) on the same files,
  * serving_bytes and serving_default on the same files preprocessed here with Python TF ops
    (decode, resize_bilinear(half_pixel_centers=True) so the crop covers crop_fraction of the
    shorter side, centre crop, normalisation) -- an independent reading of EvalPreprocessing,
  * the probabilities output and softmax(logits).
Handles RGB image models with zero_centered, imagenet or unit normalisation.
"""
import glob
import os
import sys

import numpy as np
import tensorflow as tf
import yaml

model_dir, image_dir, java_npy = sys.argv[1:4]
meta = yaml.safe_load(open(os.path.join(model_dir, "assets.extra", "tokenlearner_config.yaml")))
H, W = meta["input"]["height"], meta["input"]["width"]
pre = meta["preprocessing"]
fraction, norm = pre["crop_fraction"], pre["normalization"]
files = sorted(f for f in glob.glob(os.path.join(image_dir, "*"))
               if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp", ".gif")))
raw = [open(f, "rb").read() for f in files]

m = tf.saved_model.load(model_dir)
out = m.signatures["serving_bytes"](image_bytes=tf.constant(raw))
logits = out["logits"].numpy()
print("max |python serving_bytes - java predict| =", np.abs(logits - np.load(java_npy)).max())


def preprocess(b):
  img = tf.cast(tf.io.decode_image(b, channels=3, expand_animations=False), tf.float32)
  h, w = img.shape[0], img.shape[1]
  s = max(H / fraction / h, W / fraction / w)
  rh, rw = max(int(round(h * s)), H), max(int(round(w * s)), W)
  big = tf.compat.v1.image.resize_bilinear(img[None], [rh, rw], half_pixel_centers=True)[0]
  oy, ox = (rh - H) // 2, (rw - W) // 2
  x = big[oy:oy + H, ox:ox + W]
  if norm == "zero_centered":
    return x / 127.5 - 1.0
  if norm == "imagenet":
    return (x - 255 * np.array([0.485, 0.456, 0.406])) / (255 * np.array([0.229, 0.224, 0.225]))
  if norm == "unit":
    return x / 255.0
  return x


ref = m.signatures["serving_default"](images=tf.stack([preprocess(b) for b in raw]))["logits"]
print("max |serving_bytes - serving_default(python preprocessing)| =",
      np.abs(logits - ref.numpy()).max())
print("max |probabilities - softmax(logits)| =",
      np.abs(out["probabilities"].numpy() - tf.nn.softmax(logits).numpy()).max())
