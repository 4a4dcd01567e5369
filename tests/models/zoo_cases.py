"""Tiny configs and real (synthetic-ECG) windows shared by the model-zoo tests."""
from __future__ import annotations

import functools

import numpy as np

import tpw_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf
import tf_keras as keras

from tpw_tf import data
from tpw_tf.data import hrv, synthetic
from tpw_tf.models import build_model

TINY_T = 128
HRV_SHAPE = (1, 16, 1)
NUM_CLASSES = 3
# Small widths keep the whole area fast; each still has every layer kind of its model.
TINY_CONFIGS = {
    "regular_cnn": dict(filters=(4, 8), convs_per_stage=1, kernel_size=5),
    "resnet1d_small": dict(stem_filters=4, filters=(4, 8), kernel_size=5),
    "tiny_separable_cnn": dict(width=8, depth=3, stem_filters=8),
    "tiny_vae_head": dict(width=8, depth=3, stem_filters=8, latent_dim=4),
    "ternary_cnn": dict(width=8, depth=3, stem_filters=8),
    "hrv_featnet": dict(),
}
NAMES = tuple(TINY_CONFIGS)


def seed(value: int = 0) -> None:
    keras.utils.set_random_seed(value)
    tf.config.experimental.enable_op_determinism()


@functools.cache
def _synthetic_train():
    return data.load("synthetic", per_subject=3).splits["train"]


@functools.cache
def ecg() -> tuple[np.ndarray, np.ndarray]:
    """``(x (72, 1, 128, 1), y (72,))``: the first 128 samples of synthetic ECG windows."""
    split = _synthetic_train()
    return np.ascontiguousarray(split.x[:, :, :TINY_T]), split.y


@functools.cache
def hrv_features() -> tuple[np.ndarray, np.ndarray]:
    """``(x (72, 1, 16, 1), y (72,))``: the 16 RR / HRV features of the full synthetic windows."""
    split = hrv.hrv_features(_synthetic_train(), synthetic.SAMPLE_RATE)
    return split.x, split.y


def windows(name: str) -> tuple[np.ndarray, np.ndarray]:
    return hrv_features() if name == "hrv_featnet" else ecg()


def tiny(name: str, **overrides) -> keras.Model:
    """Model ``name`` at its tiny config on the tiny input, seeded."""
    seed()
    x, _ = windows(name)
    return build_model(name, x.shape[1:], NUM_CLASSES, **{**TINY_CONFIGS[name], **overrides})


def conv_kernels(flatbuffer: bytes) -> list[np.ndarray]:
    """The int8 kernel of every CONV_2D / DEPTHWISE_CONV_2D, in execution order.

    Exported flatbuffers carry no tensor names (convert strips them), so tests
    match kernels to layers by order: the converter emits one such op per
    Conv2D / DepthwiseConv2D on the inference path, in topological order.
    """
    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    return [interpreter.get_tensor(op["inputs"][1]) for op in interpreter._get_ops_details()
            if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D")]


def flatbuffer_kernels(model: keras.Model, flatbuffer: bytes) -> dict[str, np.ndarray]:
    """``{layer name: int8 kernel}`` for a model whose every conv layer is on the inference path."""
    layers = [layer.name for layer in model.layers
              if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))]
    kernels = conv_kernels(flatbuffer)
    assert len(kernels) == len(layers), (len(kernels), layers)
    return dict(zip(layers, kernels))
