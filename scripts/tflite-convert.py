#!/usr/bin/env python3
"""Converts an exported TokenLearner SavedModel to TFLite and checks the TFLite interpreter against
TensorFlow on the same input.

  tflite-convert.py MODEL_DIR OUT.tflite [--input x.npy] [--signatures serving_default,encoded]
                    [--save-logits logits.npy] [--tolerance 1e-4]

Converts the given signatures (default serving_default) with TFLiteConverter.from_saved_model,
writes OUT.tflite, then runs every converted signature in the TFLite interpreter and in
tf.saved_model.load on the input (--input, else uniform [-1, 1] of the signature's shape with batch
2) and prints one JSON line: {"signatures": {...: {"max_abs_diff": d, "shape": [...]}}, "bytes": n}.
Exits 1 if any difference exceeds --tolerance (default 1e-4). Needs Python with tensorflow.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

# tf.lite.Interpreter warns that it moves to ai_edge_litert; it still runs in TF 2.21.
warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model_dir")
    p.add_argument("out")
    p.add_argument("--signatures", default="serving_default")
    p.add_argument("--input", help=".npy batch fed to every signature")
    p.add_argument("--tolerance", type=float, default=1e-4)
    p.add_argument("--save-logits", help="write TFLite's serving_default logits here (.npy)")
    a = p.parse_args()
    keys = a.signatures.split(",")

    converter = tf.lite.TFLiteConverter.from_saved_model(a.model_dir, signature_keys=keys)
    flat = converter.convert()
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(flat)
    os.replace(tmp, a.out)

    loaded = tf.saved_model.load(a.model_dir)
    interpreter = tf.lite.Interpreter(model_content=flat)
    report = {"bytes": len(flat), "signatures": {}}
    worst = 0.0
    for key in keys:
        fn = loaded.signatures[key]
        (name, spec), = fn.structured_input_signature[1].items()
        if a.input:
            x = np.load(a.input).astype(np.float32)
        else:
            shape = [2 if d is None else d for d in spec.shape.as_list()]
            x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
        want = {k: v.numpy() for k, v in fn(**{name: tf.constant(x)}).items()}
        got = interpreter.get_signature_runner(key)(**{name: x})
        if key == "serving_default" and a.save_logits:
            np.save(a.save_logits, got["logits"])
        for out, w in want.items():
            g = got[out]
            if g.shape != w.shape:
                raise SystemExit(f"{key}/{out}: TFLite shape {g.shape}, TensorFlow {w.shape}")
            d = float(np.max(np.abs(g - w))) if w.size else 0.0
            worst = max(worst, d)
            report["signatures"][key if len(want) == 1 else key + "/" + out] = {
                "max_abs_diff": d,
                "shape": list(w.shape),
            }
    print(json.dumps(report))
    return 0 if worst <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
