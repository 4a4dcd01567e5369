"""The per-layer code ``z_l`` of HyperTinyPW."""
from __future__ import annotations

import tf_keras as keras
import tensorflow as tf

from tpw_tf.layers.stored import StoredPart, StoresParts


@keras.utils.register_keras_serializable(package="tpw")
class LayerCode(StoresParts, keras.layers.Layer):
    """Holds one trainable code vector ``z_l`` and emits it as a tensor.

    The code is a parameter, not a function of the data: the layer is called
    on the block's input only to place it in the functional graph (so the
    shared generator can be called on it as an ordinary Keras node). The
    input's values are never read. The device stores the code packed (ledger
    group ``codes``).

    Args:
        d_z: code size.
        stddev: standard deviation of the normal initializer.

    Input shape: any tensor (the anchor).
    Output shape: ``(1, d_z)``.
    """

    def __init__(self, d_z: int, stddev: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(d_z, int) or d_z < 1:
            raise ValueError(f"LayerCode: d_z must be a positive int. Received: d_z={d_z!r}")
        self.d_z = d_z
        self.stddev = stddev

    def build(self, input_shape):
        self.code = self.add_weight(
            "code", (self.d_z,), initializer=keras.initializers.RandomNormal(stddev=self.stddev))
        super().build(input_shape)

    def call(self, anchor):
        del anchor
        return self.code[tf.newaxis, :]

    def stored_parts(self) -> list[StoredPart]:
        return [StoredPart.packed("codes", self.code)]

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([1, self.d_z])

    def get_config(self):
        return {**super().get_config(), "d_z": self.d_z, "stddev": self.stddev}
