"""HyperTinyPW: a separable 1-D CNN whose pointwise mixers are generated.

Layout on a ``(1, T, C)`` input::

    stem conv -> block 1: DW, PW1 (stored Conv2D) -> blocks 2..depth: DW, PW (generated)
              -> global average pooling -> dense softmax

One ``PointwiseGenerator`` ``g`` serves every generated layer; each layer has
its own ``LayerCode`` ``z_l``. The head mode decides which projection maps
``g(z_l)`` to the kernel (see ``GeneratedPointwise``): ``factorized`` shares one
``B`` (``head_B``), ``shared_basis`` shares one projection per kernel shape
(``head_basis_<Cin>x<Cout>``).
"""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from tpw_tf.layers import HEADS, GeneratedPointwise, LayerCode, PointwiseGenerator
from tpw_tf.models.blocks import classifier_head, conv_bn_relu, depthwise_bn_relu, pointwise_bn_relu


def _check(config: dict) -> None:
    for key in ("width", "depth", "d_z", "d_h", "hidden_units", "rank", "kernel_size", "stem_filters"):
        value = config[key]
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"hypertinypw: {key} must be a positive int. Received: {key}={value!r}")
    if config["depth"] < 2:
        raise ValueError(f"hypertinypw: depth must be >= 2 (PW1 is stored, the rest generated). "
                         f"Received: depth={config['depth']}")
    if config["head"] not in HEADS:
        raise ValueError(f"hypertinypw: head must be one of {HEADS}. Received: head={config['head']!r}")


def build(input_shape, num_classes: int, *, width: int = 32, depth: int = 7, stem_filters: int = 16,
          kernel_size: int = 7, downsample_blocks: int = 3, d_z: int = 8, d_h: int = 8,
          hidden_units: int = 16, head: str = "shared_basis", rank: int = 4, dropout: float = 0.0,
          name: str = "hypertinypw") -> keras.Model:
    """Build the model.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: classifier outputs.
        width: channels of every block after the stem.
        depth: number of DW/PW blocks; PW1 is stored, PW2..PW<depth> generated.
        stem_filters: channels of the stem convolution.
        kernel_size: temporal kernel of the stem and the depthwise convolutions.
        downsample_blocks: the first this many blocks use stride 2 (the stem always does).
        d_z, d_h, hidden_units: code size, generator output size, generator hidden width.
        head: ``full``, ``factorized`` or ``shared_basis``.
        rank: ``r`` of the factorized head (ignored by the others).
        dropout: dropout before the classifier.
    """
    _check(dict(width=width, depth=depth, d_z=d_z, d_h=d_h, hidden_units=hidden_units, rank=rank,
                kernel_size=kernel_size, stem_filters=stem_filters, head=head))
    inputs = keras.Input(shape=input_shape, name="signal")
    x = conv_bn_relu(inputs, stem_filters, kernel_size, stride=2, name="stem")

    generator = PointwiseGenerator(d_h, hidden_units, name="generator")
    shared = {}  # projections shared between layers, by name

    def latent_for(block_name, anchor, cin):
        h = generator(LayerCode(d_z, name=f"{block_name}_code")(anchor))
        if head == "full":
            return h
        key = "head_B" if head == "factorized" else f"head_basis_{cin}x{width}"
        if key not in shared:
            # Keep the generated kernels He-scaled for a unit-variance latent, so an
            # untrained deep stack neither vanishes nor explodes.
            stddev = (1.0 / d_h) ** 0.5 if head == "factorized" else (2.0 / (cin * d_h)) ** 0.5
            shared[key] = layers.Dense(rank if head == "factorized" else cin * width, use_bias=False,
                                       kernel_initializer=keras.initializers.RandomNormal(stddev=stddev),
                                       name=key)
        return shared[key](h)

    for i in range(1, depth + 1):
        block = f"block{i}"
        stride = 2 if i <= downsample_blocks else 1
        x = depthwise_bn_relu(x, kernel_size, stride=stride, name=block)
        if i == 1:
            pw = layers.Conv2D(width, 1, use_bias=False, name=f"{block}_pw")
            x = pointwise_bn_relu(x, pw, name=block)
        else:
            u = latent_for(block, x, int(x.shape[-1]))
            generated = GeneratedPointwise(width, head=head, use_bias=False, name=f"{block}_pw")
            x = pointwise_bn_relu(x, lambda t, pw=generated, u=u: pw([t, u]), name=block)
    outputs = classifier_head(x, num_classes, dropout=dropout)
    return keras.Model(inputs, outputs, name=name)
