"""Writes the two small OCDBT samples next to this file (TensorStore 0.1.85, numpy 2.4).

    python make_ocdbt_samples.py ocdbt_deep_tree \
        '{"max_decoded_node_bytes": 160, "max_inline_value_bytes": 100, "compression": {"id": "zstd"}}'
    python make_ocdbt_samples.py ocdbt_numbered_uncompressed \
        '{"max_decoded_node_bytes": 200, "max_inline_value_bytes": 40, "compression": null,
          "manifest_kind": "numbered"}'

The tiny node size forces a B+tree many levels deep (interior nodes, subtree key prefixes); each
array write is a new generation, so the manifests list several versions. Keys follow Orbax's
naming: '<leaf path joined with .>/.zarray' and '<leaf path>/<chunk>'.
"""
import json
import os
import sys

import numpy as np
import tensorstore as ts

out = os.path.abspath(sys.argv[1])
os.makedirs(out, exist_ok=True)
kv = {'driver': 'ocdbt', 'base': 'file://' + out, 'config': json.loads(sys.argv[2])}


def write(path, value, chunks, compressor):
  t = ts.open({'driver': 'zarr', 'kvstore': dict(kv, path=path + '/'),
               'metadata': {'chunks': chunks, 'compressor': compressor}},
              create=True, dtype=ts.dtype(value.dtype.name), shape=value.shape).result()
  t.write(value).result()


zstd = {'id': 'zstd', 'level': 1}
# kernel[i, j] = 0.25 * (13 * i + j) - 7: 7 x 4 chunks of [3, 4], edge chunks padded.
write('params.dense.kernel',
      (np.arange(20 * 13, dtype=np.float32).reshape(20, 13) * 0.25 - 7), [3, 4], zstd)
write('params.dense.bias', np.array([1.5, -2.25, 3.0], dtype=np.float32), [3], None)
write('global_step', np.array(77, dtype=np.int64), [], zstd)
