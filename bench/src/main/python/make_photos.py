"""Writes the photo-like JPEG folder that `tokenlearner bench --input --data DIR` was measured on.

N JPEGs of 500x375 (quality 90) in 10 class folders, each a random crop (50-100 % of the side),
resized and randomly flipped, of scikit-image's bundled sample photographs, so the files have the
size and entropy of real photos without any download. Deterministic (seed 0).

Usage: python make_photos.py OUT_DIR [N=1500]   (needs numpy, pillow, scikit-image)
"""
import os
import sys

import numpy as np
from PIL import Image
from skimage import data


def sources():
    imgs = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(),
            data.hubble_deep_field(), data.immunohistochemistry(), data.retina(), data.cat(),
            data.colorwheel() if hasattr(data, "colorwheel") else data.coffee()]
    logo = data.logo()
    imgs.append(logo[..., :3] if logo.ndim == 3 else data.coffee())
    return [np.asarray(i)[..., :3] for i in imgs]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
    srcs = sources()
    rng = np.random.default_rng(0)
    for c in range(10):
        os.makedirs(os.path.join(out, f"class{c}"), exist_ok=True)
    for i in range(n):
        c = i % 10
        img = Image.fromarray(srcs[(i // 10 + c) % len(srcs)])
        w, h = img.size
        s = rng.uniform(0.5, 1.0)
        cw, ch = int(w * s), int(h * s)
        x, y = rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1)
        img = img.crop((x, y, x + cw, y + ch)).resize((500, 375), Image.BILINEAR)
        if rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        img.save(os.path.join(out, f"class{c}", f"{i:05d}.jpg"), quality=90)


if __name__ == "__main__":
    main()
