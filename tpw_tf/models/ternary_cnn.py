"""``ternary_cnn``: ``tiny_separable_cnn`` with every pointwise kernel ternary.

The paper's extreme comparator: PW kernels ``alpha_c * {-1, 0, +1}`` trained with
a straight-through estimator (``tpw_tf.layers.ternary.TernaryPointwise``). Packed,
a PW layer costs 2 bits per weight plus one scale per output channel
(``TernaryPointwise.stored_parts``); exported, the bake swaps each one for a
plain Conv2D via ``baked_kernel()`` and TFLM runs it as INT8 (per-channel
quantization maps ``{-alpha_c, 0, +alpha_c}`` exactly to ``{-127, 0, 127}``).
"""
from __future__ import annotations

import tf_keras as keras

from tpw_tf.layers.ternary import TernaryPointwise
from tpw_tf.models.tiny_separable_cnn import DEFAULTS as SEPARABLE_DEFAULTS
from tpw_tf.models.tiny_separable_cnn import build_separable

DEFAULTS = dict(SEPARABLE_DEFAULTS, threshold=0.7)


def build(input_shape, num_classes: int, *, threshold: float = DEFAULTS["threshold"], **config) -> keras.Model:
    """Build the ternary separable CNN.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: number of softmax outputs.
        threshold: the TernaryPointwise threshold ratio (``0.7 * mean|w|``).
        **config: as ``tiny_separable_cnn`` (``width``, ``depth``, ...).

    Returns:
        A model mapping ``(batch, 1, T, C)`` to ``(batch, num_classes)`` probabilities,
        pooled features in the layer ``gap``.
    """
    def ternary_pointwise(filters: int, name: str, block: int) -> keras.layers.Layer:
        del block  # every block is ternary
        return TernaryPointwise(filters, threshold=threshold, name=name)

    return build_separable("ternary_cnn", input_shape, num_classes, ternary_pointwise, **config)
