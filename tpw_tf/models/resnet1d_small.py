"""``resnet1d_small``: a small 1-D ResNet comparator (about 60 k parameters).

Stem conv, then one residual block per stage: two ``(1, k)`` convolutions with
BatchNorm, the first strided, added to a shortcut (identity, or a strided 1x1
conv + BatchNorm when the width or length changes), then ReLU.
"""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from tpw_tf.models.blocks import along_time, classifier_head, conv_bn_relu
from tpw_tf.models.config import resolve

DEFAULTS = dict(stem_filters=16, stem_kernel=7, filters=(16, 32, 64), kernel_size=7, stride=2,
                dropout=0.0)


def residual_block(x, filters: int, kernel: int, *, stride: int, name: str):
    """``(batch, 1, T, Cin)`` -> ``(batch, 1, ceil(T / stride), filters)``."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=along_time(stride), use_bias=False,
                                 name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = conv_bn_relu(x, filters, kernel, stride=stride, name=f"{name}_a")
    y = layers.Conv2D(filters, (1, kernel), padding="same", use_bias=False,
                      name=f"{name}_b_conv")(y)
    y = layers.BatchNormalization(name=f"{name}_b_bn")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_relu")(y)


def build(input_shape, num_classes: int, **config) -> keras.Model:
    """Build the small ResNet.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: number of softmax outputs.
        **config: ``stem_filters``, ``stem_kernel``, ``filters`` (one block per entry),
            ``kernel_size``, ``stride`` (of the stem and of every block), ``dropout``.

    Returns:
        A model mapping ``(batch, 1, T, C)`` to ``(batch, num_classes)`` probabilities;
        pooled ``(batch, filters[-1])`` features are the layer ``gap``.
    """
    cfg = resolve("resnet1d_small", DEFAULTS, config)
    inputs = keras.Input(shape=input_shape, name="signal")
    x = conv_bn_relu(inputs, cfg["stem_filters"], cfg["stem_kernel"], stride=cfg["stride"],
                     name="stem")
    for i, filters in enumerate(cfg["filters"], start=1):
        x = residual_block(x, filters, cfg["kernel_size"], stride=cfg["stride"], name=f"res{i}")
    outputs = classifier_head(x, num_classes, dropout=cfg["dropout"])
    return keras.Model(inputs, outputs, name="resnet1d_small")
