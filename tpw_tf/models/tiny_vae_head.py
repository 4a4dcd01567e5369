"""``tiny_vae_head``: DW/PW encoder, VAE latent, classifier on the latent.

The separable encoder of ``tiny_separable_cnn`` is pooled (layer ``gap``) and
mapped to a Gaussian latent ``(mu, logvar)``. ``LatentSample`` draws
``z = mu + exp(logvar / 2) * eps`` only in training and returns ``mu`` at
inference, so the exported graph is deterministic builtin ops (the ``logvar``
branch is dead at inference and the converter drops it). Its KL divergence to
``N(0, I)`` reaches the training loss through ``add_loss`` (``model.losses``).
"""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from tpw_tf.layers import LatentSample
from tpw_tf.models.blocks import global_time_pool, linear_softmax
from tpw_tf.models.config import resolve
from tpw_tf.models.tiny_separable_cnn import DEFAULTS as SEPARABLE_DEFAULTS
from tpw_tf.models.tiny_separable_cnn import separable_features, stored_pointwise

DEFAULTS = dict(SEPARABLE_DEFAULTS, latent_dim=16, kl_weight=1e-3)


def build(input_shape, num_classes: int, **config) -> keras.Model:
    """Build the VAE-head classifier.

    Args:
        input_shape: ``(1, T, C)``.
        num_classes: number of softmax outputs.
        **config: the ``tiny_separable_cnn`` keys plus ``latent_dim`` and ``kl_weight``.

    Returns:
        A model mapping ``(batch, 1, T, C)`` to ``(batch, num_classes)`` probabilities;
        the pooled encoder features ``(batch, width)`` are the layer ``gap``.
    """
    cfg = resolve("tiny_vae_head", DEFAULTS, config, zero_ok=("downsample_blocks",))
    latent_dim = cfg["latent_dim"]
    inputs = keras.Input(shape=input_shape, name="signal")
    x = separable_features(inputs, cfg, stored_pointwise)
    x = global_time_pool(x)
    features = layers.Reshape((cfg["width"],), name="gap")(x)
    # The latent maps are 1x1 convolutions on a (batch, 1, 1, width) map, not Dense:
    # tf.lite's FULLY_CONNECTED rounds one LSB off TFLM's, CONV_2D matches it.
    x = layers.Reshape((1, 1, cfg["width"]), name="gap_map")(features)
    mu = layers.Conv2D(latent_dim, 1, name="latent_mu")(x)
    logvar = layers.Conv2D(latent_dim, 1, name="latent_logvar")(x)
    z = LatentSample(cfg["kl_weight"], name="latent_sample")([mu, logvar])
    z = layers.Reshape((latent_dim,), name="latent")(z)
    if cfg["dropout"]:
        z = layers.Dropout(cfg["dropout"], name="dropout")(z)
    return keras.Model(inputs, linear_softmax(z, num_classes), name="tiny_vae_head")
