"""``tiny_separable_cnn``: the plain depthwise-separable CNN comparator.

Same skeleton and config keys as ``hypertinypw`` (stem conv with stride 2,
``depth`` depthwise-separable blocks of ``width`` channels, the first
``downsample_blocks`` of them strided, global pooling, dense softmax) but every
pointwise kernel is stored, so a sweep can compare the two at one config. The
default is wider than ``hypertinypw``'s (46 channels): it lands the "plain
separable CNN of about 18 k parameters" reference point of issue 4.
"""
from __future__ import annotations

from typing import Callable

import tf_keras as keras
from tf_keras import layers

from tpw_tf.models.blocks import (classifier_head, conv_bn_relu, depthwise_bn_relu,
                                  pointwise_bn_relu)
from tpw_tf.models.config import resolve

DEFAULTS = dict(width=46, depth=7, stem_filters=16, kernel_size=7, downsample_blocks=3,
                dropout=0.0)

# (filters, layer name, block number from 1) -> the block's pointwise mixer.
PointwiseFactory = Callable[[int, str, int], keras.layers.Layer]


def stored_pointwise(filters: int, name: str, block: int) -> keras.layers.Layer:
    """A plain 1x1 Conv2D, whatever the block; no bias because BatchNorm follows."""
    del block
    return layers.Conv2D(filters, 1, use_bias=False, name=name)


def separable_features(x, cfg: dict, make_pointwise: PointwiseFactory):
    """Stem conv then ``cfg["depth"]`` DW/PW blocks.

    Args:
        x: ``(batch, 1, T, C)`` tensor.
        cfg: a resolved config with the keys of ``DEFAULTS``.
        make_pointwise: ``(filters, layer_name, block) -> layer`` mapping ``(batch, 1, T', Cin)``
            to ``(batch, 1, T', filters)`` for block number ``block`` (1 to ``depth``);
            it is how ``ternary_cnn`` and ``hypertinypw`` swap the mixers.

    Returns:
        ``(batch, 1, ceil(T / 2**(1 + min(depth, downsample_blocks))), width)`` features.
    """
    x = conv_bn_relu(x, cfg["stem_filters"], cfg["kernel_size"], stride=2, name="stem")
    for i in range(1, cfg["depth"] + 1):
        name = f"block{i}"
        stride = 2 if i <= cfg["downsample_blocks"] else 1
        x = depthwise_bn_relu(x, cfg["kernel_size"], stride=stride, name=name)
        x = pointwise_bn_relu(x, make_pointwise(cfg["width"], f"{name}_pw", i), name=name)
    return x


def build_separable(name: str, input_shape, num_classes: int,
                    make_pointwise: PointwiseFactory, **config) -> keras.Model:
    """The separable CNN classifier with a chosen pointwise factory."""
    cfg = resolve(name, DEFAULTS, config, zero_ok=("downsample_blocks",))
    inputs = keras.Input(shape=input_shape, name="signal")
    x = separable_features(inputs, cfg, make_pointwise)
    outputs = classifier_head(x, num_classes, dropout=cfg["dropout"])
    return keras.Model(inputs, outputs, name=name)


def build(input_shape, num_classes: int, **config) -> keras.Model:
    """Build the plain separable CNN.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: number of softmax outputs.
        **config: any of ``DEFAULTS`` (``width``, ``depth``, ``stem_filters``,
            ``kernel_size``, ``downsample_blocks``, ``dropout``); ``downsample_blocks``
            may be 0 (only the stem strides).

    Returns:
        A model mapping ``(batch, 1, T, C)`` to ``(batch, num_classes)`` probabilities,
        with pooled features in the layer named ``gap``.
    """
    return build_separable("tiny_separable_cnn", input_shape, num_classes, stored_pointwise,
                           **config)
