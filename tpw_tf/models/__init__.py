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


def input_shape(name: str, samples: int, channels: int = 1) -> tuple[int, int, int]:
    """The ``(1, T, C)`` input of model ``name`` for windows of ``samples`` samples and
    ``channels`` channels: ``(1, 16, 1)`` for a model that reads HRV features."""
    if input_features(name) == "hrv":
        from tpw_tf.data.hrv import N_FEATURES

        return (1, N_FEATURES, 1)
    return (1, samples, channels)


def names() -> list[str]:
    return sorted(_BUILDERS)


def check_config_keys(name: str, config: dict) -> None:
    """Refuse (one-line TpwError) an unknown model or config key before any data loads;
    the builder checks each value's type and range (:func:`tpw_tf.models.config.resolve`)."""
    module = _module(name)
    unknown = sorted(set(config) - set(module.DEFAULTS))
    if unknown:
        raise TpwError(f"model '{name}': unknown config keys {unknown}; known: {sorted(module.DEFAULTS)}")


def _module(name: str):
    if name not in _BUILDERS:
        raise TpwError(f"unknown model '{name}': choose one of {', '.join(names())}")
    return importlib.import_module(f"tpw_tf.models.{_BUILDERS[name]}")


def build_model(name: str, input_shape, num_classes: int, **config):
    """Build zoo model ``name`` (a ``tf_keras.Model``) for ``input_shape`` = (1, T, C)."""
    module = _module(name)
    if num_classes < 2:
        raise TpwError(f"model '{name}': num_classes must be >= 2, got {num_classes}")
    return module.build(tuple(input_shape), num_classes, **config)
