"""Writes a randomly initialised ViT in the original vision_transformer / AugReg .npz layout.

It stands in for a downloaded ViT checkpoint when trying init_from offline: pre-Linen block names
(LayerNorm_0, MultiHeadDotProductAttention_1, LayerNorm_2, MlpBlock_3), a class token `cls`, a
position embedding with the class token's row first, and a `head`. Only numpy is needed.

  python3 train/src/test/python/make_vit_npz.py --out vit_tiny.npz \
      --hidden 64 --heads 4 --mlp 128 --layers 4 --patch 4 --grid 6 --classes 1000
"""

import argparse

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--patch", type=int, default=4)
    ap.add_argument("--grid", type=int, default=6, help="patches per side at pre-training")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rs = np.random.RandomState(a.seed)
    d, h, hd = a.hidden, a.heads, a.hidden // a.heads

    def normal(*shape, std=0.02):
        return (std * rs.normal(size=shape)).astype(np.float32)

    p = {
        "cls": np.zeros((1, 1, d), np.float32),
        "embedding/kernel": normal(a.patch, a.patch, 3, d, std=0.1),
        "embedding/bias": np.zeros((d,), np.float32),
        "Transformer/posembed_input/pos_embedding": normal(1, a.grid * a.grid + 1, d),
        "Transformer/encoder_norm/scale": np.ones((d,), np.float32),
        "Transformer/encoder_norm/bias": np.zeros((d,), np.float32),
        "head/kernel": normal(d, a.classes),
        "head/bias": np.zeros((a.classes,), np.float32),
    }
    for i in range(a.layers):
        b = f"Transformer/encoderblock_{i}/"
        for ln in ("LayerNorm_0", "LayerNorm_2"):
            p[b + ln + "/scale"] = np.ones((d,), np.float32)
            p[b + ln + "/bias"] = np.zeros((d,), np.float32)
        att = b + "MultiHeadDotProductAttention_1/"
        for name in ("query", "key", "value"):
            p[att + name + "/kernel"] = normal(d, h, hd, std=d**-0.5)
            p[att + name + "/bias"] = np.zeros((h, hd), np.float32)
        p[att + "out/kernel"] = normal(h, hd, d, std=d**-0.5)
        p[att + "out/bias"] = np.zeros((d,), np.float32)
        p[b + "MlpBlock_3/Dense_0/kernel"] = normal(d, a.mlp, std=d**-0.5)
        p[b + "MlpBlock_3/Dense_0/bias"] = np.zeros((a.mlp,), np.float32)
        p[b + "MlpBlock_3/Dense_1/kernel"] = normal(a.mlp, d, std=a.mlp**-0.5)
        p[b + "MlpBlock_3/Dense_1/bias"] = np.zeros((d,), np.float32)
    np.savez(a.out, **p)
    print(f"wrote {a.out}: {len(p)} arrays")


if __name__ == "__main__":
    main()
