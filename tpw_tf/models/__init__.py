"""Model zoo: ``build_model(name, input_shape, num_classes, **config)``.

Every model takes ``(1, T, C)`` inputs (a 1-D signal as a one-row image) and
returns class probabilities; every one exports to builtin INT8 TFLite ops.
"""
from __future__ import annotations

import importlib

from tpw_tf.errors import TpwError

# name -> module under tpw_tf.models exposing ``build(input_shape, num_classes, **config)``
_BUILDERS = {
    "hypertinypw": "hypertinypw",
    "regular_cnn": "regular_cnn",
    "resnet1d_small": "resnet1d_small",
    "tiny_separable_cnn": "tiny_separable_cnn",
    "tiny_vae_head": "tiny_vae_head",
    "hrv_featnet": "hrv_featnet",
    "ternary_cnn": "ternary_cnn",
}

# What a model reads when it is not a window of samples: hrv_featnet takes the 16 RR / HRV
# features of each window (tpw_tf.data.hrv), so the export converts a dataset of samples.
_INPUT_FEATURES = {"hrv_featnet": "hrv"}


def input_features(name: str) -> str:
    """``"hrv"`` for a model that reads HRV features, ``"raw"`` for one that reads samples."""
    return _INPUT_FEATURES.get(name, "raw")


def names() -> list[str]:
    return sorted(_BUILDERS)


def build_model(name: str, input_shape, num_classes: int, **config):
    """Build zoo model ``name`` (a ``tf_keras.Model``) for ``input_shape`` = (1, T, C)."""
    if name not in _BUILDERS:
        raise TpwError(f"unknown model '{name}': choose one of {', '.join(names())}")
    if num_classes < 2:
        raise TpwError(f"model '{name}': num_classes must be >= 2, got {num_classes}")
    module = importlib.import_module(f"tpw_tf.models.{_BUILDERS[name]}")
    return module.build(tuple(input_shape), num_classes, **config)
