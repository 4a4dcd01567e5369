"""``hrv_featnet``: a linear classifier on 16 RR / HRV features.

The feature-engineering comparator: a window is summarised by 16 RR-interval
and heart-rate-variability features (computed upstream by the data side) laid
out as a ``(1, 16, 1)`` one-row image, so it shares the zoo's input contract.
The model is a linear softmax layer, with optional hidden ReLU layers.

The features must arrive on comparable scales (``tpw_tf.data.hrv`` keeps them
near 1: seconds, beats per second, fractions): the INT8 input has ONE scale for
all 16 features, so RR intervals in ms next to pNN50 would leave the small ones
with no resolution. An in-model BatchNorm cannot fix that - it acts after the
input is quantized - and it exports as an extra MUL, so there is none.
"""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from tpw_tf.errors import TpwError
from tpw_tf.models.blocks import linear_softmax
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
    # A (batch, 1, 1, 16) map so every linear map is a 1x1 CONV_2D, which tf.lite
    # and TFLM round identically (their FULLY_CONNECTED kernels differ by one LSB).
    x = layers.Reshape((1, 1, NUM_FEATURES), name="feature_map")(inputs)
    for i, width in enumerate(cfg["hidden"], start=1):
        x = layers.Conv2D(width, 1, activation="relu", name=f"hidden{i}")(x)
    x = layers.Reshape((x.shape[-1],), name="hidden_features")(x)
    if cfg["dropout"]:
        x = layers.Dropout(cfg["dropout"], name="dropout")(x)
    return keras.Model(inputs, linear_softmax(x, num_classes), name="hrv_featnet")
