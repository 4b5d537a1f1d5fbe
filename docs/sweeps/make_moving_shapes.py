"""Writes the synthetic video set of docs/token-maps.md: 8-frame 32x32 RGB clips of a bright
square that moves right, left, down or up, grows or shrinks (6 classes), on a noisy background
with a static distractor square. Arrays as `tokenlearner train --data` reads them:
images float32 [N, T, H, W, C] in [-1, 1] (fed as stored), labels int32 [N].

    python3 make_moving_shapes.py OUT_DIR   # writes OUT_DIR/train.npz (1600), OUT_DIR/eval.npz (400)
"""
import sys
from pathlib import Path

import numpy as np

T, H, W = 8, 32, 32
CLASSES = ["right", "left", "down", "up", "grow", "shrink"]


def clip(rng, label):
    x = rng.uniform(-1.0, -0.6, size=(T, H, W, 3)).astype(np.float32)
    # A static distractor in another colour, somewhere.
    dy, dx = rng.integers(0, H - 5, size=2)
    x[:, dy : dy + 5, dx : dx + 5, :] = np.array([-0.2, 0.4, -0.2], np.float32)
    colour = rng.uniform(0.5, 1.0, size=3).astype(np.float32)
    size = int(rng.integers(5, 8))
    y0, x0 = rng.integers(8, H - 8 - size, size=2)
    speed = int(rng.integers(1, 3))
    for t in range(T):
        y, xx, s = y0, x0, size
        if label == 0:
            xx = x0 + (t - T // 2) * speed
        elif label == 1:
            xx = x0 - (t - T // 2) * speed
        elif label == 2:
            y = y0 + (t - T // 2) * speed
        elif label == 3:
            y = y0 - (t - T // 2) * speed
        elif label == 4:
            s = 3 + t
        else:
            s = 3 + (T - 1 - t)
        y = int(np.clip(y, 0, H - s))
        xx = int(np.clip(xx, 0, W - s))
        x[t, y : y + s, xx : xx + s, :] = colour
    return x


def write(path, n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), size=n).astype(np.int32)
    images = np.stack([clip(rng, int(l)) for l in labels])
    np.savez(path, images=images, labels=labels)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    write(out / "train.npz", 1600, 0)
    write(out / "eval.npz", 400, 1)
