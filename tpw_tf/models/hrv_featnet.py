"""``hrv_featnet``: a linear classifier on 16 RR / HRV features.

The feature-engineering comparator: a window is summarised by 16 RR-interval
and heart-rate-variability features (computed upstream by the data side) laid
out as a ``(1, 16, 1)`` one-row image, so it shares the zoo's input contract.
The model is a learned standardisation (BatchNorm, which the converter folds
into the dense layer) and a linear softmax layer, with an optional hidden layer.
"""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from tpw_tf.errors import TpwError
from tpw_tf.models.config import resolve

NUM_FEATURES = 16
DEFAULTS = dict(hidden=(), dropout=0.0)


def build(input_shape, num_classes: int, **config) -> keras.Model:
    """Build the HRV feature classifier.

    Args:
        input_shape: ``(1, 16, 1)``: the 16 features of one window.
        num_classes: number of softmax outputs.
        **config: ``hidden`` (widths of optional ReLU layers; empty = linear),
            ``dropout`` (before the classifier).

    Returns:
        A model mapping ``(batch, 1, 16, 1)`` to ``(batch, num_classes)`` probabilities.
    """
    if tuple(input_shape) != (1, NUM_FEATURES, 1):
        raise TpwError(f"model 'hrv_featnet': input_shape must be (1, {NUM_FEATURES}, 1), "
                       f"got {tuple(input_shape)}")
    cfg = resolve("hrv_featnet", DEFAULTS, config)
    inputs = keras.Input(shape=input_shape, name="features")
    x = layers.Flatten(name="flatten")(inputs)
    x = layers.BatchNormalization(name="standardize")(x)
    for i, width in enumerate(cfg["hidden"], start=1):
        x = layers.Dense(width, activation="relu", name=f"hidden{i}")(x)
    if cfg["dropout"]:
        x = layers.Dropout(cfg["dropout"], name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="hrv_featnet")
