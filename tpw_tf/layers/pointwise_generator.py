"""The shared micro-MLP ``g`` of HyperTinyPW (Eq. 1: ``h_l = g(z_l)``)."""
from __future__ import annotations

import tf_keras as keras
import tensorflow as tf

from tpw_tf.layers.stored import StoredPart, StoresParts


@keras.utils.register_keras_serializable(package="tpw")
class PointwiseGenerator(StoresParts, keras.layers.Layer):
    """Two-layer MLP mapping a layer code ``z_l`` to a latent ``h_l``.

    One instance per model, called once per generated layer: Keras records the
    calls as shared-layer nodes, so the weights are stored once and the sharing
    survives ``.keras`` save and reload. The device stores all four weights
    packed (ledger group ``generator``).

    Args:
        d_h: size of the latent ``h_l``.
        hidden_units: width of the hidden layer.
        activation: hidden activation (any Keras activation name).

    Input shape: ``(1, d_z)``, a layer code.
    Output shape: ``(1, d_h)``.

    Example:
        >>> g = PointwiseGenerator(d_h=8, hidden_units=16)
        >>> g(tf.zeros((1, 4))).shape
        TensorShape([1, 8])
    """

    def __init__(self, d_h: int, hidden_units: int = 16, activation: str = "tanh", **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("d_h", d_h), ("hidden_units", hidden_units)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"PointwiseGenerator: {arg} must be a positive int. Received: {arg}={value!r}")
        self.d_h = d_h
        self.hidden_units = hidden_units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        d_z = int(input_shape[-1])
        self.hidden_kernel = self.add_weight("hidden_kernel", (d_z, self.hidden_units),
                                             initializer="glorot_uniform")
        self.hidden_bias = self.add_weight("hidden_bias", (self.hidden_units,), initializer="zeros")
        self.output_kernel = self.add_weight("output_kernel", (self.hidden_units, self.d_h),
                                             initializer="glorot_uniform")
        self.output_bias = self.add_weight("output_bias", (self.d_h,), initializer="zeros")
        super().build(input_shape)

    def call(self, z):
        hidden = self.activation(tf.matmul(z, self.hidden_kernel) + self.hidden_bias)
        return tf.matmul(hidden, self.output_kernel) + self.output_bias

    def stored_parts(self) -> list[StoredPart]:
        return [StoredPart.packed("generator", weight) for weight in self.weights]

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape[:-1]).concatenate([self.d_h])

    def get_config(self):
        return {**super().get_config(), "d_h": self.d_h, "hidden_units": self.hidden_units,
                "activation": keras.activations.serialize(self.activation)}
