"""``tiny_separable_cnn``: the plain depthwise-separable CNN comparator.

Same skeleton as ``hypertinypw`` (stem conv, N depthwise-separable blocks,
global pooling, dense softmax) but every pointwise kernel is stored. At the
default config on a ``(1, 1800, 1)`` input it has about 18 k parameters, the
"plain separable CNN" reference point of issue 4.
"""
from __future__ import annotations

from typing import Callable

import tf_keras as keras
from tf_keras import layers

from tpw_tf.models.blocks import (classifier_head, conv_bn_relu, depthwise_bn_relu,
                                  pointwise_bn_relu)
from tpw_tf.models.config import resolve

DEFAULTS = dict(stem_filters=16, stem_kernel=7, widths=(32, 64, 64, 128), kernel=5,
                stride=2, dropout=0.0)

PointwiseFactory = Callable[[int, str], keras.layers.Layer]


def stored_pointwise(filters: int, name: str) -> keras.layers.Layer:
    """A plain 1x1 Conv2D; no bias because BatchNorm follows."""
    return layers.Conv2D(filters, 1, use_bias=False, name=name)


def separable_features(x, cfg: dict, make_pointwise: PointwiseFactory):
    """Stem conv then one DW/PW block per entry of ``cfg["widths"]``.

    Args:
        x: ``(batch, 1, T, C)`` tensor.
        cfg: a resolved config with the keys of ``DEFAULTS``.
        make_pointwise: ``(filters, layer_name) -> layer`` mapping ``(batch, 1, T', Cin)``
            to ``(batch, 1, T', filters)``; it is how ``ternary_cnn`` swaps the mixers.

    Returns:
        ``(batch, 1, ceil(T / stride**(len(widths)+1)), widths[-1])`` features.
    """
    x = conv_bn_relu(x, cfg["stem_filters"], cfg["stem_kernel"], stride=cfg["stride"],
                     name="stem")
    for i, width in enumerate(cfg["widths"], start=1):
        name = f"block{i}"
        x = depthwise_bn_relu(x, cfg["kernel"], stride=cfg["stride"], name=name)
        x = pointwise_bn_relu(x, make_pointwise(width, f"{name}_pw"), name=name)
    return x


def build_separable(name: str, input_shape, num_classes: int,
                    make_pointwise: PointwiseFactory, **config) -> keras.Model:
    """The separable CNN classifier with a chosen pointwise factory."""
    cfg = resolve(name, DEFAULTS, config)
    inputs = keras.Input(shape=input_shape, name="signal")
    x = separable_features(inputs, cfg, make_pointwise)
    outputs = classifier_head(x, num_classes, dropout=cfg["dropout"])
    return keras.Model(inputs, outputs, name=name)


def build(input_shape, num_classes: int, **config) -> keras.Model:
    """Build the plain separable CNN.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: number of softmax outputs.
        **config: any of ``DEFAULTS`` (``stem_filters``, ``stem_kernel``, ``widths``,
            ``kernel``, ``stride``, ``dropout``).

    Returns:
        A model mapping ``(batch, 1, T, C)`` to ``(batch, num_classes)`` probabilities,
        with pooled features in the layer named ``gap``.
    """
    return build_separable("tiny_separable_cnn", input_shape, num_classes, stored_pointwise,
                           **config)
