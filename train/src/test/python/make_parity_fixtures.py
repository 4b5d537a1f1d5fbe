"""Writes the training-parity fixtures under train/src/test/resources/parity/.

Each case is a tiny TokenLearner model trained for a few steps on one fixed batch by Scenic's own
code: the model (scenic.projects.token_learner.model), its loss_function (softmax or sigmoid
cross-entropy, label smoothing, l2_decay_factor), the optimizer
(scenic.train_lib.optimizers.get_optax_optimizer_config + get_optimizer, i.e. optax) and the
learning-rate schedule (scenic.train_lib.lr_schedules). The step itself mirrors
scenic.train_lib.classification_trainer.train_step (value_and_grad, clip_grads with
max_grad_norm, tx.update, optax.apply_updates); explicit_weight_decay is applied afterwards on
kernels as the flax.optim-era Scenic trainer did (w *= 1 - lr * decay).

Per case it writes:
  config.json     the experiment (Scenic keys; dropout 0), read by both sides
  init_checkpoint the parameters training starts from, a Flax msgpack train state
                  (for the init_head_bias case the checkpoint's head has another class count,
                  so the trainer must start with a fresh head: zero kernel, bias init_head_bias)
  data.npz        images float32 [N, H, W, C], labels int32 [N]; batch_size == N
  expected.npz    per step: loss (the differentiated objective), learning_rate, grad_norm
                  (before clipping); and every parameter after the last step, keyed by Flax path

Rerun (needs a Scenic checkout and a venv with jax, flax, optax, ml-collections, absl-py,
immutabledict, numpy, scipy; TensorFlow and clu are not needed, stubs stand in for the two
imports Scenic's modules make at load time):
  python3 train/src/test/python/make_parity_fixtures.py --scenic /path/to/scenic \
      --out train/src/test/resources/parity
"""

import argparse
import json
import os
import sys
import types

import numpy as np

N_EXAMPLES = 6
IMAGE = 16
NUM_CLASSES = 4
STEPS = 5

BASE = {
    "model_name": "token_learner_classification",
    "model": {
        "hidden_size": 16,
        "num_heads": 2,
        "mlp_dim": 32,
        "num_layers": 2,
        "representation_size": None,
        "classifier": "gap",
        "dropout_rate": 0.0,
        "attention_dropout_rate": 0.0,
        "stochastic_depth": 0.0,
        "tokenizer": {
            "type": "dynamic",
            "patches": {"size": [4, 4]},
            "num_tokens": 4,
            "tokenlearner_loc": 1,
            "use_tokenfuse": False,
            "use_v11": True,
        },
    },
    "model_dtype_str": "float32",
    "dataset_configs": {"image_size": [IMAGE, IMAGE], "num_classes": NUM_CLASSES},
    "batch_size": N_EXAMPLES,
    "eval_batch_size": N_EXAMPLES,
    "num_training_steps": STEPS,
    "log_summary_steps": 1,
    "log_eval_steps": STEPS,
    "checkpoint_steps": STEPS,
    "rng_seed": 0,
}

CASES = {
    # adam + weight_decay -> optax adamw, clipping, label smoothing, softmax loss, warmup then
    # linear decay to end_learning_rate. skip_scale_and_bias_regularization is set, but Scenic's
    # get_optimizer stores adamw's mask in a ConfigDict, which optax takes for one truthy leaf:
    # every parameter is decayed, scales and biases included.
    "adamw_softmax_v11": {
        "optimizer": "adam",
        "optimizer_configs": {"beta1": 0.9, "beta2": 0.999, "weight_decay": 0.1},
        "skip_scale_and_bias_regularization": True,
        "max_grad_norm": 0.5,
        "label_smoothing": 0.1,
        "lr_configs": {
            "learning_rate_schedule": "compound",
            "factors": "constant*linear_warmup*linear_decay",
            "warmup_steps": 2,
            "total_steps": 6,
            "end_learning_rate": 1e-4,
            "base_learning_rate": 1e-2,
        },
    },
    # momentum -> optax sgd(momentum=0.9); sigmoid loss summed over classes; TokenFuser with v1
    # TokenLearner modules; l2_decay_factor; fresh head with init_head_bias; cosine decay.
    "momentum_multilabel_fuser_v1": {
        "model_name": "token_learner_multilabel_classification",
        "model": {"tokenizer": {"use_tokenfuse": True, "use_v11": False}},
        "optimizer": "momentum",
        "l2_decay_factor": 1e-3,
        "init_head_bias": -2.0,
        "max_grad_norm": 0.4,
        "lr_configs": {
            "learning_rate_schedule": "compound",
            "factors": "constant*linear_warmup*cosine_decay",
            "warmup_steps": 1,
            "steps_per_cycle": 6,
            "total_steps": 6,
            "base_learning_rate": 0.05,
        },
    },
    # plain sgd with weight_decay (optax add_decayed_weights before sgd, masked off scales and
    # biases), explicit_weight_decay on kernels, rsqrt decay, TokenFuser with v1.1 modules,
    # softmax loss without smoothing.
    "sgd_rsqrt_fuser_v11": {
        "model": {"tokenizer": {"use_tokenfuse": True}},
        "optimizer": "sgd",
        "optimizer_configs": {"weight_decay": 1e-2},
        "skip_scale_and_bias_regularization": True,
        "explicit_weight_decay": 1e-2,
        "lr_configs": {
            "learning_rate_schedule": "compound",
            "factors": "constant*rsqrt_decay",
            "warmup_steps": 1,
            "timescale": 2,
            "base_learning_rate": 0.1,
        },
    },
}


def merge(base, extra):
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def import_scenic(path):
    sys.path.insert(0, path)
    # Imported at module load by Scenic files whose used functions never call them.
    tf = types.ModuleType("tensorflow")
    tf.io = types.ModuleType("tensorflow.io")
    tf.io.gfile = types.ModuleType("tensorflow.io.gfile")
    clu = types.ModuleType("clu")
    clu.parameter_overview = types.ModuleType("clu.parameter_overview")
    sys.modules.update(
        {
            "tensorflow": tf,
            "tensorflow.io": tf.io,
            "tensorflow.io.gfile": tf.io.gfile,
            "clu": clu,
            "clu.parameter_overview": clu.parameter_overview,
        }
    )


def flatten(tree, prefix=""):
    out = {}
    for k, v in tree.items():
        key = f"{prefix}/{k}" if prefix else k
        if isinstance(v, dict) or hasattr(v, "items"):
            out.update(flatten(dict(v), key))
        else:
            out[key] = np.asarray(v, np.float32)
    return out


def run_case(name, cfg_dict, out_dir):
    import flax
    import jax
    import jax.numpy as jnp
    import ml_collections
    import optax
    from jax.example_libraries.optimizers import clip_grads
    from scenic.projects.token_learner import model as tl_model
    from scenic.train_lib import lr_schedules
    from scenic.train_lib import optimizers

    config = ml_collections.ConfigDict(cfg_dict)
    meta = {"num_classes": NUM_CLASSES, "target_is_onehot": False}
    model_cls = (
        tl_model.TokenLearnerMultilabelClassificationModel
        if config.model_name == "token_learner_multilabel_classification"
        else tl_model.TokenLearnerClassificationModel
    )
    model = model_cls(config, meta)

    seed = sum(map(ord, name))
    rs = np.random.RandomState(sum(map(ord, name)))
    images = rs.normal(size=(N_EXAMPLES, IMAGE, IMAGE, 3)).astype(np.float32)
    labels = rs.randint(0, NUM_CLASSES, size=(N_EXAMPLES,)).astype(np.int32)

    variables = model.flax_model.init(
        {"params": jax.random.PRNGKey(seed % 1000), "dropout": jax.random.PRNGKey(1)},
        jnp.zeros((1, IMAGE, IMAGE, 3), jnp.float32),
        train=False,
    )
    params = flax.core.unfreeze(variables["params"])
    # Scenic zero-initialises the head kernel and TokenFuser's Dense_0 kernel; a checkpoint to
    # fine-tune from has trained values there, so give them some.
    flat = flatten(params)
    for k, v in flat.items():
        if k.endswith("kernel") and not np.any(v):
            flat[k] = (0.1 * rs.normal(size=v.shape)).astype(np.float32)
    params = flax.traverse_util.unflatten_dict({tuple(k.split("/")): v for k, v in flat.items()})

    checkpoint_params = dict(flatten(params))
    if config.get("init_head_bias") is not None:
        # The checkpoint was trained on another class count: the head is not restored, the
        # trainer starts it fresh, as Scenic's initialize_model does: zero kernel, bias constant.
        d = checkpoint_params["output_projection/kernel"].shape[0]
        checkpoint_params["output_projection/kernel"] = rs.normal(
            size=(d, NUM_CLASSES + 1)
        ).astype(np.float32)
        checkpoint_params["output_projection/bias"] = rs.normal(
            size=(NUM_CLASSES + 1,)
        ).astype(np.float32)
        flat = flatten(params)
        flat["output_projection/kernel"] = np.zeros_like(flat["output_projection/kernel"])
        flat["output_projection/bias"] = np.full_like(
            flat["output_projection/bias"], config.init_head_bias
        )
        params = flax.traverse_util.unflatten_dict(
            {tuple(k.split("/")): v for k, v in flat.items()}
        )
    params = jax.tree_util.tree_map(jnp.asarray, params)

    lr_fn = lr_schedules.get_learning_rate_fn(config)
    opt_cfg = optimizers.get_optax_optimizer_config(config)
    tx = optimizers.get_optimizer(opt_cfg, lr_fn, params=params)
    opt_state = tx.init(params)
    batch = {"inputs": jnp.asarray(images), "label": jnp.asarray(labels)}

    @jax.jit
    def step_fn(params, opt_state, step):
        def training_loss_fn(p):
            logits = model.flax_model.apply(
                {"params": p}, batch["inputs"], train=True, rngs={"dropout": jax.random.PRNGKey(0)}
            )
            return model.loss_function(logits, batch, p)

        loss, grad = jax.value_and_grad(training_loss_fn)(params)
        grad_norm = jnp.sqrt(sum(jnp.vdot(g, g) for g in jax.tree_util.tree_leaves(grad)))
        if config.get("max_grad_norm") is not None:
            grad = clip_grads(grad, config.max_grad_norm)
        updates, opt_state = tx.update(grad, opt_state, params)
        params = optax.apply_updates(params, updates)
        lr = lr_fn(step)
        if config.get("explicit_weight_decay") is not None:
            decay = config.explicit_weight_decay
            params = flax.traverse_util.unflatten_dict(
                {
                    k: ((1.0 - lr * decay) * v if "kernel" in "/".join(k) else v)
                    for k, v in flax.traverse_util.flatten_dict(params).items()
                }
            )
        return params, opt_state, loss, lr, grad_norm

    losses, lrs, norms = [], [], []
    for step in range(STEPS):
        params, opt_state, loss, lr, norm = step_fn(params, opt_state, jnp.asarray(step))
        losses.append(float(loss))
        lrs.append(float(lr))
        norms.append(float(norm))
    if config.get("max_grad_norm") is not None:
        assert max(norms) > config.max_grad_norm, f"{name}: clipping never active {norms}"
    print(name, "loss", losses, "lr", lrs, "grad_norm", norms)

    case_dir = os.path.join(out_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    with open(os.path.join(case_dir, "config.json"), "w") as f:
        json.dump(cfg_dict, f, indent=2, sort_keys=True)
        f.write("\n")
    state = {
        "opt_state": {},
        "params": flax.traverse_util.unflatten_dict(
            {tuple(k.split("/")): v for k, v in checkpoint_params.items()}
        ),
        "global_step": 0,
        "model_state": {},
        "rng": np.zeros((2,), np.uint32),
    }
    with open(os.path.join(case_dir, "init_checkpoint"), "wb") as f:
        f.write(flax.serialization.msgpack_serialize(state))
    np.savez_compressed(os.path.join(case_dir, "data.npz"), images=images, labels=labels)
    expected = {k: np.asarray(v, np.float32) for k, v in flatten(params).items()}
    expected["loss"] = np.asarray(losses, np.float32)
    expected["learning_rate"] = np.asarray(lrs, np.float32)
    expected["grad_norm"] = np.asarray(norms, np.float32)
    np.savez_compressed(os.path.join(case_dir, "expected.npz"), **expected)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenic", required=True, help="a checkout of google-research/scenic")
    ap.add_argument("--out", default="train/src/test/resources/parity")
    args = ap.parse_args()
    import_scenic(args.scenic)
    import jax

    jax.config.update("jax_default_matmul_precision", "highest")
    for name, extra in CASES.items():
        run_case(name, merge(BASE, extra), args.out)


if __name__ == "__main__":
    main()
