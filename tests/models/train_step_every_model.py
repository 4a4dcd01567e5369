"""Child process of ``test_cpu_paths.py``: one training step of every zoo configuration.

TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` once, when it loads, so each setting needs a
process of its own; the parent sets it. Prints ``onednn <True|False>`` (what TensorFlow
actually runs), then ``ok <label>`` for each configuration whose step gave a finite loss,
and exits 1 at the first failure with ``fail <label>: <the error>``.
"""
from __future__ import annotations

import sys

import numpy as np

import tpw_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
from tensorflow.python.util import _pywrap_util_port

from tpw_tf.train import Recipe, TrainStep
from tpw_tf.models import build_model
from tpw_eval.sweep.spec import PRESETS
from zoo_cases import NUM_CLASSES, TINY_CONFIGS, seed, windows

HEADS = ("full", "factorized", "shared_basis")


def configurations() -> list[tuple[str, str, dict]]:
    """``(label, model, config)``: the zoo's tiny configs, every hypertinypw head, and every
    model configuration of every sweep preset (grids expanded)."""
    runs = [(f"{name} tiny", name, config) for name, config in TINY_CONFIGS.items()]
    small = dict(width=8, depth=3, stem_filters=8)
    runs += [(f"hypertinypw head={head}", "hypertinypw", dict(small, head=head)) for head in HEADS]
    for preset, spec in PRESETS.items():
        for i, entry in enumerate(spec["models"]):
            grid = entry.get("grid", {})
            # Only keys the model builder takes: ``bits`` is the packing, not the architecture.
            points = [{}]
            for key, values in grid.items():
                if key != "bits":
                    points = [dict(p, **{key: v}) for p in points for v in values]
            for point in points:
                config = dict(entry["config"], **point)
                runs.append((f"{preset}[{i}] {entry['model']} {point}", entry["model"], config))
    return runs


def train_one_step(name: str, config: dict) -> float:
    """Build ``name`` with ``config`` and take one real training step; returns the loss."""
    seed()
    x, y = windows(name)
    model = build_model(name, x.shape[1:], NUM_CLASSES, **config)
    step = TrainStep(model, Recipe(), None, np.ones(NUM_CLASSES, np.float32))
    loss, grads, finite, _ = step.gradients(x[:8], y[:8])
    step.apply(grads)
    model.predict(x[:8], verbose=0)
    if not bool(finite):
        raise FloatingPointError(f"non-finite loss {float(loss)}")
    return float(loss)


def main() -> int:
    print("onednn", _pywrap_util_port.IsMklEnabled(), flush=True)
    for label, name, config in configurations():
        try:
            train_one_step(name, config)
        except Exception as error:  # noqa: BLE001  (the parent shows which configuration failed)
            print(f"fail {label}: {error}", flush=True)
            return 1
        print(f"ok {label}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
