"""Precise BatchNorm: moving statistics re-estimated for the weights that ship.

The moving statistics gathered during training describe the live weights of
past steps, not the EMA weights the loop returns, and after a few hundred steps
they still remember their initial values (momentum 0.99). Averaging per-batch
statistics over a fixed calibration set with the final weights replaces them
("precise BN", Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras


class PreciseBatchNorm:
    """Re-estimates the moving mean and variance of every BatchNorm in ``model``.

    Args:
        model: a ``tf_keras`` model taking ``(B, 1, T, C)``; one without
            BatchNormalization layers is left alone.
    """

    def __init__(self, model: keras.Model):
        self.norms = [layer for layer in model.submodules if isinstance(layer, keras.layers.BatchNormalization)]
        # One function for the whole run, so it is traced once, not at every epoch's evaluation.
        self.batch_statistics = tf.function(lambda x: model(x, training=True))

    def __call__(self, x: np.ndarray, *, batch_size: int) -> None:
        """Set each moving mean and variance to the mean of its batch statistics over ``x`` ``(N, 1, T, C)``.

        With momentum 0 a training-mode pass leaves each batch's statistics in the
        moving variables; their average over the batches of ``x`` replaces them.
        """
        if not self.norms:
            return
        momenta = [layer.momentum for layer in self.norms]
        for layer in self.norms:
            layer.momentum = 0.0  # read when self.batch_statistics is first traced
        moving = [v for layer in self.norms for v in (layer.moving_mean, layer.moving_variance)]
        sums = [np.zeros(v.shape, np.float64) for v in moving]
        starts = range(0, len(x), batch_size)
        for start in starts:
            self.batch_statistics(tf.constant(x[start:start + batch_size]))
            for total, v in zip(sums, moving):
                total += v.numpy()
        for v, total in zip(moving, sums):
            v.assign((total / len(starts)).astype(np.float32))
        for layer, momentum in zip(self.norms, momenta):
            layer.momentum = momentum
