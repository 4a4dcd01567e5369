"""HyperTinyPW: a separable 1-D CNN whose pointwise mixers are generated.

The skeleton is ``tiny_separable_cnn``'s (stem conv, ``depth`` DW/PW blocks,
pooling, classifier) with the same config keys. PW1 stays a stored Conv2D;
PW2..PW<depth> are ``GeneratedPointwise`` layers. One ``PointwiseGenerator``
``g`` serves all of them; each has its own ``LayerCode`` ``z_l``. The head mode
decides which projection maps ``g(z_l)`` to the kernel (see
``GeneratedPointwise``): ``factorized`` shares one ``B`` (a ``SharedHead``
named ``head_B``), ``shared_basis`` one projection per kernel shape
(``head_basis_<Cin>x<Cout>``).
"""
from __future__ import annotations

import tf_keras as keras

from tpw_tf.errors import TpwError
from tpw_tf.layers import HEADS, GeneratedPointwise, LayerCode, PointwiseGenerator, SharedHead
from tpw_tf.models.config import resolve
from tpw_tf.models.tiny_separable_cnn import DEFAULTS as SEPARABLE_DEFAULTS
from tpw_tf.models.tiny_separable_cnn import build_separable, stored_pointwise

DEFAULTS = dict(SEPARABLE_DEFAULTS, width=32, d_z=8, d_h=8, hidden_units=16, head="shared_basis", rank=4)
MODEL = "hypertinypw"


def _pointwise_factory(cfg: dict):
    """``(filters, name, block) -> callable`` for ``separable_features``: block 1
    stores its kernel, every later block generates it from the shared generator."""
    generator = PointwiseGenerator(cfg["d_h"], cfg["hidden_units"], name="generator")
    shared = {}  # projections shared between layers, by name

    def latent_for(block: int, anchor, filters: int):
        h = generator(LayerCode(cfg["d_z"], name=f"block{block}_code")(anchor))
        if cfg["head"] == "full":
            return h
        cin = int(anchor.shape[-1])
        key = "head_B" if cfg["head"] == "factorized" else f"head_basis_{cin}x{filters}"
        if key not in shared:
            # Keep the generated kernels He-scaled for a unit-variance latent, so an
            # untrained deep stack neither vanishes nor explodes.
            factorized = cfg["head"] == "factorized"
            stddev = (1.0 / cfg["d_h"]) ** 0.5 if factorized else (2.0 / (cin * cfg["d_h"])) ** 0.5
            shared[key] = SharedHead(cfg["rank"] if factorized else cin * filters, use_bias=False,
                                     kernel_initializer=keras.initializers.RandomNormal(stddev=stddev),
                                     name=key)
        return shared[key](h)

    def make(filters: int, name: str, block: int):
        if block == 1:
            return stored_pointwise(filters, name, block)
        layer = GeneratedPointwise(filters, head=cfg["head"], use_bias=False, name=name)
        return lambda x: layer([x, latent_for(block, x, filters)])

    return make


def build(input_shape, num_classes: int, **config) -> keras.Model:
    """Build the model.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: classifier outputs.
        **config: ``tiny_separable_cnn``'s keys (``width``, ``depth``, ``stem_filters``,
            ``kernel_size``, ``downsample_blocks``, ``dropout``) and the generator's:
            ``d_z`` (code size), ``d_h`` (generator output), ``hidden_units`` (generator
            hidden width), ``head`` (``full``, ``factorized`` or ``shared_basis``) and
            ``rank`` (``r`` of the factorized head). ``depth`` must be >= 2: PW1 is stored.

    Returns:
        A model mapping ``(batch, 1, T, C)`` to ``(batch, num_classes)`` probabilities,
        with pooled features in the layer named ``gap``.
    """
    cfg = resolve(MODEL, DEFAULTS, config, zero_ok=("downsample_blocks",))
    if cfg["head"] not in HEADS:
        raise TpwError(f"model '{MODEL}': head must be one of {', '.join(HEADS)}, got {cfg['head']!r}")
    if cfg["depth"] < 2:
        raise TpwError(f"model '{MODEL}': depth must be >= 2 (PW1 is stored, the rest generated), "
                       f"got {cfg['depth']}")
    skeleton = {key: cfg[key] for key in SEPARABLE_DEFAULTS}
    return build_separable(MODEL, input_shape, num_classes, _pointwise_factory(cfg), **skeleton)
