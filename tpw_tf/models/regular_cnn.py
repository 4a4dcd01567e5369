"""``regular_cnn``: the large plain CNN comparator, also the KD teacher.

Stages of full ``(1, k)`` convolutions (BatchNorm, ReLU), each stage ending in
``(1, 2)`` max pooling, then global pooling and a dense softmax. At the default
config on a ``(1, 1800, 1)`` input it has about 1.4 M parameters.
"""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from tpw_tf.models.blocks import along_time, classifier_head, conv_bn_relu
from tpw_tf.models.config import resolve

DEFAULTS = dict(filters=(32, 64, 128, 256), convs_per_stage=2, kernel_size=11, dropout=0.3)


def build(input_shape, num_classes: int, **config) -> keras.Model:
    """Build the regular CNN.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: number of softmax outputs.
        **config: ``filters`` (one width per stage), ``convs_per_stage``, ``kernel_size``,
            ``dropout`` (before the classifier).

    Returns:
        A model mapping ``(batch, 1, T, C)`` to ``(batch, num_classes)`` probabilities;
        pooled ``(batch, filters[-1])`` features are the layer ``gap``.
    """
    cfg = resolve("regular_cnn", DEFAULTS, config)
    inputs = keras.Input(shape=input_shape, name="signal")
    x = inputs
    for s, filters in enumerate(cfg["filters"], start=1):
        for c in range(1, cfg["convs_per_stage"] + 1):
            x = conv_bn_relu(x, filters, cfg["kernel_size"], name=f"stage{s}_conv{c}")
        # "same" padding keeps odd lengths valid; TFLM has int8 MAX_POOL_2D.
        x = layers.MaxPooling2D((1, 2), strides=along_time(2), padding="same",
                                name=f"stage{s}_pool")(x)
    outputs = classifier_head(x, num_classes, dropout=cfg["dropout"])
    return keras.Model(inputs, outputs, name="regular_cnn")
