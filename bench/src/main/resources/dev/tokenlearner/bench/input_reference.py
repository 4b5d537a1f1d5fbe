"""tf.data reference for `tokenlearner bench --input`: the same files and augmentation as the
Java pipeline (decode, inception crop 8-100 % / aspect 3/4-4/3, bilinear resize, flip, ImageNet
normalisation), batched and prefetched; prints `PY_IPS <threads> <images/s>` per thread count.

Usage: input_reference.py DIR SIZE BATCH WARMUP STEPS THREADS [THREADS ...]
"""
import glob
import os
import sys
import time

import tensorflow as tf


def main():
    data, size, batch, warmup, steps = sys.argv[1], *map(int, sys.argv[2:6])
    threads = [int(t) for t in sys.argv[6:]]
    classes = sorted(d for d in os.listdir(data) if os.path.isdir(os.path.join(data, d)))
    files, labels = [], []
    for i, c in enumerate(classes):
        for f in sorted(glob.glob(os.path.join(data, c, "*"))):
            if f.lower().endswith((".jpg", ".jpeg", ".png")):
                files.append(f)
                labels.append(i)
    mean = tf.constant([0.485 * 255, 0.456 * 255, 0.406 * 255])
    std = tf.constant([0.229 * 255, 0.224 * 255, 0.225 * 255])

    def augment(path, label):
        img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        begin, crop, _ = tf.image.sample_distorted_bounding_box(
            tf.shape(img),
            bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
            min_object_covered=0.1,
            aspect_ratio_range=(3 / 4, 4 / 3),
            area_range=(0.08, 1.0),
            max_attempts=10,
            use_image_if_no_bounding_boxes=True)
        img = tf.image.resize(tf.slice(img, begin, crop), [size, size], method="bilinear")
        img = tf.image.random_flip_left_right(img)
        return (img - mean) / std, label

    for t in threads:
        ds = tf.data.Dataset.from_tensor_slices((files, labels)).shuffle(len(files), seed=0).repeat()
        ds = ds.map(augment, num_parallel_calls=t).batch(batch).prefetch(2)
        opts = tf.data.Options()
        opts.threading.private_threadpool_size = t
        ds = ds.with_options(opts)
        it = iter(ds)
        for _ in range(warmup):
            next(it)
        start = time.perf_counter()
        for _ in range(steps):
            next(it)
        elapsed = time.perf_counter() - start
        print("PY_IPS", t, steps * batch / elapsed, flush=True)


if __name__ == "__main__":
    main()
