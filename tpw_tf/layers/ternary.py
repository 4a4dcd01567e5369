"""``TernaryPointwise``: a 1x1 convolution whose kernel is ternary per output channel.

The paper's extreme comparator (ternary weight networks): each output channel's
kernel is ``alpha_c * {-1, 0, +1}``, re-derived from the float latent kernel at
EVERY call, so evaluation always reflects the current weights (the reference code
cached the ternary kernel after its first evaluation and silently froze it).
Training uses the straight-through estimator: the forward pass uses the ternary
kernel, the gradient reaches the latent float kernel as if it were used directly.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras

from tpw_tf.errors import TpwError
from tpw_tf.layers.stored import ExpandsToKernel, StoredPart

CODE_BITS = 2  # {-1, 0, +1} packed four to a byte
SCALE_BITS = 32  # alpha_c stays a float32


def ternarize(kernel, threshold: float):
    """Per-output-channel ternary approximation of ``kernel`` (TWN rule).

    Args:
        kernel: ``(..., Cout)`` float tensor; reductions run over all but the last axis.
        threshold: ``delta_c = threshold * mean|w_c|``; weights with ``|w| <= delta_c`` become 0.

    Returns:
        ``(codes, alpha)``: ``codes`` float tensor like ``kernel`` with values in {-1, 0, +1};
        ``alpha`` ``(Cout,)``, the mean magnitude of the kept weights (0 if none is kept),
        which minimises ``||w_c - alpha_c * codes_c||`` for the chosen codes.
    """
    kernel = tf.convert_to_tensor(kernel, tf.float32)
    axes = list(range(kernel.shape.rank - 1))
    magnitude = tf.abs(kernel)
    delta = threshold * tf.reduce_mean(magnitude, axis=axes, keepdims=True)
    keep = tf.cast(magnitude > delta, kernel.dtype)
    kept = tf.reduce_sum(keep, axis=axes)
    alpha = tf.reduce_sum(magnitude * keep, axis=axes) / tf.maximum(kept, 1.0)
    return tf.sign(kernel) * keep, alpha


@keras.saving.register_keras_serializable(package="tpw")
class TernaryPointwise(ExpandsToKernel, keras.layers.Layer):
    """1x1 convolution with a ternary kernel ``alpha_c * {-1, 0, +1}`` per output channel.

    Export replaces it by a 1x1 Conv2D with the ternary kernel; packed, the device
    stores 2-bit codes and one float32 ``alpha_c`` per output channel.

    Args:
        filters: output channels ``Cout`` (>= 1).
        threshold: sparsity threshold ratio in (0, 1]; ``0.7`` is the TWN choice
            (keeps weights above 0.7 x the channel's mean magnitude).
        use_bias: add a ``(Cout,)`` bias (False when BatchNorm follows).
        kernel_initializer, bias_initializer: for the latent float weights.

    Input shape:
        ``(batch, 1, T, Cin)``.

    Output shape:
        ``(batch, 1, T, filters)``.

    Example:
        >>> layer = TernaryPointwise(8)
        >>> layer(tf.zeros((2, 1, 128, 4))).shape
        TensorShape([2, 1, 128, 8])
    """

    stored_kind = "ternary"

    def __init__(self, filters: int, threshold: float = 0.7, use_bias: bool = False,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if int(filters) != filters or filters < 1:
            raise TpwError(f"TernaryPointwise: filters must be an int >= 1, got {filters}")
        if not 0.0 < threshold <= 1.0:
            raise TpwError(f"TernaryPointwise: threshold must be in (0, 1], got {threshold}")
        self.filters = int(filters)
        self.threshold = float(threshold)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise TpwError(f"TernaryPointwise '{self.name}': the channel axis must be known, "
                           f"got input shape {tuple(input_shape)}")
        self.kernel = self.add_weight(name="kernel", shape=(1, 1, int(channels), self.filters),
                                      initializer=self.kernel_initializer, trainable=True)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,),
                                     initializer=self.bias_initializer, trainable=True)
                     if self.use_bias else None)
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: int(channels)})
        super().build(input_shape)

    def ternary_kernel(self):
        """The ``(1, 1, Cin, Cout)`` kernel the forward pass uses, from the current weights."""
        codes, alpha = ternarize(self.kernel, self.threshold)
        return codes * alpha

    def call(self, inputs):
        # Straight-through estimator: forward value is the ternary kernel, gradient is identity.
        kernel = self.kernel + tf.stop_gradient(self.ternary_kernel() - self.kernel)
        outputs = tf.nn.conv2d(inputs, kernel, strides=1, padding="VALID")
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        return outputs

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)[:-1].concatenate([self.filters])

    def baked_kernel(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(kernel (1, 1, Cin, Cout) float32, bias (Cout,) or None)`` for a plain Conv2D."""
        bias = None if self.bias is None else self.bias.numpy()
        return self.ternary_kernel().numpy(), bias

    def ternary_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """``(codes (Cin, Cout) int8 in {-1, 0, 1}, alpha (Cout,) float32)``, what is packed."""
        codes, alpha = ternarize(self.kernel, self.threshold)
        return codes.numpy()[0, 0].astype(np.int8), alpha.numpy()

    def stored_parts(self) -> list[StoredPart]:
        """Packed flash: ``Cin*Cout`` 2-bit codes and ``Cout`` float32 scales (the bias,
        if any, is the baked convolution's)."""
        return [StoredPart("ternary codes", int(self.kernel.shape.num_elements()), CODE_BITS),
                StoredPart("ternary scales", self.filters, SCALE_BITS)]

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, threshold=self.threshold, use_bias=self.use_bias,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
                      bias_initializer=keras.initializers.serialize(self.bias_initializer))
        return config
