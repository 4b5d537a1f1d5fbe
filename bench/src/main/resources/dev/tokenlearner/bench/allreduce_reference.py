"""Python TF's collective all-reduce of a float vector, one worker of a MultiWorkerMirroredStrategy.

Usage: TF_CONFIG=... allreduce_reference.py FLOATS WARMUP STEPS
Every worker of TF_CONFIG runs this; the chief (worker 0) prints "PY_MS allreduce t1 t2 ...".
The gradients live in a variable and only one element is fetched, as in a training step.
"""
import json
import os
import sys
import time

floats, warmup, steps = (int(a) for a in sys.argv[1:4])

import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
strategy = tf.distribute.MultiWorkerMirroredStrategy(
    communication_options=tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING))
with strategy.scope():
    grads = tf.Variable(tf.ones([floats]))


@tf.function
def step():
    def fn():
        ctx = tf.distribute.get_replica_context()
        return ctx.all_reduce(tf.distribute.ReduceOp.MEAN, grads.read_value())[0]

    return strategy.run(fn)


ms = []
for i in range(warmup + steps):
    t0 = time.perf_counter()
    step().numpy()
    if i >= warmup:
        ms.append((time.perf_counter() - t0) * 1e3)
if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0:
    print("PY_MS allreduce " + " ".join("%.3f" % m for m in ms), flush=True)
