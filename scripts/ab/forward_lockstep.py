"""The Python (TF 2.21 XLA) half of ForwardLockstep.java, and the files that half reads.

  python forward_lockstep.py graph REF OUT_DIR MODEL_ARGS...   # Python's forward as a GraphDef
  python forward_lockstep.py run REF EXPORT_TI EXPORT_TL REPS IN OUT

"graph" writes vit_xla_reference.py's forward (REF, MODEL_ARGS as that script takes them) as a
GraphDef whose weight reads are float32 placeholders, with the weights (raw little-endian float32).
"run" builds Python's Ti/16 and Ti/16 tl8@6 forward (jit_compile=True) and our exported SavedModels
(EXPORT_TI, EXPORT_TL: their forward graph under jit_compile, weights as parameters as Java's
XlaCut has them) and times one item per token: it writes a line to OUT, then waits for a line on IN
before each item, so it alternates item by item with the Java process.
"""
import os
import sys
import time

import numpy as np
import tensorflow as tf

TI = ["--width", "192", "--heads", "3", "--mlp", "768", "--layers", "12", "--classes", "1000",
      "--batch", "8", "--kind", "forward"]
TL = TI + ["--tokens", "8", "--loc", "6"]


def reference(ref, args):
  ns = {"__name__": "ref"}
  saved = sys.argv
  sys.argv = [ref] + list(args)
  src = open(ref).read()
  exec(compile(src[:src.index("\nif a.check:")], ref, "exec"), ns)
  sys.argv = saved
  return ns


def write_graph(ref, out, args):
  ns = reference(ref, args)
  cf = tf.function(ns["forward"]).get_concrete_function(
      tf.TensorSpec([ns["BATCH"], ns["SIDE"], ns["SIDE"], 3], tf.float32))
  gd = cf.graph.as_graph_def()
  by_handle = {id(v.handle): v for v in ns["variables"]}
  captured = {t.op.name: by_handle[id(v)] for v, t in cf.graph.captures}
  resource = {n.name for n in gd.node
              if n.op == "Placeholder" and n.attr["dtype"].type == tf.resource.as_datatype_enum}
  new = tf.compat.v1.GraphDef()
  new.versions.CopyFrom(gd.versions)
  os.makedirs(out, exist_ok=True)
  manifest = []
  for n in gd.node:
    if n.name in resource:
      continue
    if n.op == "ReadVariableOp":
      v = captured[n.input[0]]
      p = new.node.add(name=n.name, op="Placeholder")
      p.attr["dtype"].type = tf.float32.as_datatype_enum
      p.attr["shape"].shape.CopyFrom(tf.TensorShape(v.shape).as_proto())
      v.numpy().astype("<f4").tofile(os.path.join(out, "w_%d.f32" % len(manifest)))
      manifest.append("%s %s" % (n.name, " ".join(str(d) for d in v.shape)))
      continue
    m = new.node.add()
    m.CopyFrom(n)
    del m.input[:]
    m.input.extend(i for i in n.input if not (i.startswith("^") and i[1:] in resource))
  open(os.path.join(out, "graph.pb"), "wb").write(new.SerializeToString())
  open(os.path.join(out, "manifest.txt"), "w").write("\n".join(manifest) + "\n")
  open(os.path.join(out, "io.txt"), "w").write(cf.inputs[0].op.name + "\n" + cf.outputs[0].name + "\n")
  print(len(manifest), "weights written to", out)


def ours(export):
  loaded = tf.saved_model.load(export)
  gd = tf.compat.v1.graph_util.extract_sub_graph(loaded.graph.as_graph_def(), ["logits"])
  ckpt = tf.train.load_checkpoint(os.path.join(export, "variables", "variables"))
  names, values = [], []
  for node in gd.node:
    if node.op == "VariableV2":  # cut at the variables, as XlaCut does: weights become inputs
      node.op = "Placeholder"
      for k in ("container", "shared_name"):
        if k in node.attr:
          del node.attr[k]
      names.append(node.name)
      values.append(tf.Variable(ckpt.get_tensor(node.name)))
  wf = tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(gd, name=""), [])
  g = wf.graph
  pruned = wf.prune(feeds=[g.get_tensor_by_name("images:0")] + [g.get_tensor_by_name(n + ":0") for n in names],
                    fetches=[g.get_tensor_by_name("logits:0")])
  return tf.function(lambda x: pruned(x, *[v.read_value() for v in values])[0], jit_compile=True)


def run(ref, export_ti, export_tl, reps, fifo_in, fifo_out):
  items = {"py_ti": reference(ref, TI)["modes"]["xla"], "py_tl": reference(ref, TL)["modes"]["xla"],
           "ours_ti_in_2.21": ours(export_ti), "ours_tl_in_2.21": ours(export_tl)}
  x = tf.constant(np.random.default_rng(3).uniform(-1, 1, (8, 224, 224, 3)).astype(np.float32))
  for _ in range(2):
    for f in items.values():
      f(x).numpy()
  times = {k: [] for k in items}
  with open(fifo_out, "w") as out, open(fifo_in) as inp:
    for _ in range(reps):
      for k, f in items.items():
        out.write("go\n")
        out.flush()
        inp.readline()
        t0 = time.perf_counter()
        f(x).numpy()
        times[k].append((time.perf_counter() - t0) * 1e3)
  for k, t in times.items():
    print("PY221 %s median %.1f ms min %.1f all %s" % (k, np.median(t), min(t), ["%.1f" % v for v in t]))


if sys.argv[1] == "graph":
  write_graph(sys.argv[2], sys.argv[3], sys.argv[4:])
else:
  run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7])
