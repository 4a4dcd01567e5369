"""A 1x1 convolution whose kernel is synthesized, not stored (Eq. 2 and 3)."""
from __future__ import annotations

import numpy as np
import tf_keras as keras
import tensorflow as tf

from tpw_tf.layers.stored import ExpandsToKernel, StoredPart

HEADS = ("full", "factorized", "shared_basis")


@keras.utils.register_keras_serializable(package="tpw")
class GeneratedPointwise(ExpandsToKernel, keras.layers.Layer):
    """Pointwise (1x1) convolution with a kernel made from a latent vector.

    The layer is called on ``[x, u]``: ``x`` is the feature map and ``u`` the
    latent that the shared parts of the model produced for this layer. What
    ``u`` is, and which weights this layer owns, depends on ``head``:

    * ``full`` (Eq. 2): ``u = h_l = g(z_l)``; the layer owns ``H_l``
      (``head_kernel``, ``(d_h, Cin*Cout)``) and ``W_l = H_l h_l``.
    * ``factorized`` (Eq. 3): ``u = B h_l`` with ``B`` shared by all layers;
      the layer owns ``A_l`` (``head_kernel``, ``(r, Cin*Cout)``) and
      ``W_l = A_l B h_l``.
    * ``shared_basis``: ``u = P h_l`` with ``P`` shared by all layers of this
      shape; the layer owns only a per-output-channel ``scale`` and
      ``W_l = diag(scale) P h_l``.

    With ``full`` and ``factorized`` the head holds at least as many numbers as
    the kernel it makes; only ``shared_basis`` can store less than the kernel.
    Export replaces the layer by a 1x1 Conv2D with the synthesized kernel; the
    device stores ``head_kernel`` (ledger group ``heads``) or ``scale``
    (``channel scales``) packed.

    Args:
        filters: output channels ``Cout``.
        head: one of ``full``, ``factorized``, ``shared_basis``.
        use_bias: add a per-channel bias (off when BatchNorm follows).

    Input shape: ``[(batch, 1, T, Cin), (1, k)]`` where ``k`` is ``d_h``, ``r``
        or ``Cin*Cout`` for the three heads.
    Output shape: ``(batch, 1, T, Cout)``.
    """

    def __init__(self, filters: int, head: str = "full", use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"GeneratedPointwise: filters must be a positive int. Received: filters={filters!r}")
        if head not in HEADS:
            raise ValueError(f"GeneratedPointwise: head must be one of {HEADS}. Received: head={head!r}")
        self.filters = filters
        self.head = head
        self.use_bias = use_bias

    def build(self, input_shape):
        x_shape, u_shape = input_shape
        self.in_channels = int(x_shape[-1])
        latent = int(u_shape[-1])
        size = self.in_channels * self.filters
        if self.head == "shared_basis":
            if latent != size:
                raise ValueError(f"GeneratedPointwise '{self.name}': a shared_basis latent must have "
                                 f"Cin*Cout={size} entries. Received: {latent}")
            self.scale = self.add_weight("scale", (self.filters,), initializer="ones")
        else:
            # He-like spread of the generated kernel for a unit-variance latent.
            stddev = float(np.sqrt(2.0 / (self.in_channels * latent)))
            self.head_kernel = self.add_weight(
                "head_kernel", (latent, size), initializer=keras.initializers.RandomNormal(stddev=stddev))
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), initializer="zeros")
        super().build(input_shape)

    def synthesize(self, u):
        """The kernel ``W_l`` as a ``(Cin, Cout)`` tensor for latent ``u`` ``(1, k)``."""
        if self.head == "shared_basis":
            flat = u[0]
        else:
            flat = tf.matmul(u, self.head_kernel)[0]
        kernel = tf.reshape(flat, (self.in_channels, self.filters))
        if self.head == "shared_basis":
            kernel = kernel * self.scale
        return kernel

    def baked_kernel(self, u) -> tuple[np.ndarray, np.ndarray | None]:
        """``(W_l as (1, 1, Cin, Cout), bias (Cout,) or None)`` for latent ``u`` ``(1, k)``."""
        bias = self.bias.numpy() if self.use_bias else None
        return self.synthesize(u).numpy()[None, None], bias

    def stored_parts(self) -> list[StoredPart]:
        if self.head == "shared_basis":
            return [StoredPart.packed("channel scales", self.scale)]
        return [StoredPart.packed("heads", self.head_kernel)]

    def call(self, inputs):
        x, u = inputs
        y = tf.einsum("bhtc,cd->bhtd", x, self.synthesize(u))
        if self.use_bias:
            y = y + self.bias
        return y

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape[0][:-1]).concatenate([self.filters])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "head": self.head,
                "use_bias": self.use_bias}
