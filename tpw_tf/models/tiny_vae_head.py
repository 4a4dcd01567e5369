"""``tiny_vae_head``: DW/PW encoder, VAE latent, classifier on the latent.

The separable encoder of ``tiny_separable_cnn`` is pooled (layer ``gap``) and
mapped to a Gaussian latent ``(mu, logvar)``. ``LatentSample`` draws
``z = mu + exp(logvar / 2) * eps`` only in training and returns ``mu`` at
inference, so the exported graph is deterministic builtin ops (the ``logvar``
branch is dead at inference and the converter drops it). Its KL divergence to
``N(0, I)`` reaches the training loss through ``add_loss`` (``model.losses``).
"""
from __future__ import annotations

import tensorflow as tf
import tf_keras as keras
from tf_keras import layers

from tpw_tf.errors import TpwError
from tpw_tf.models.blocks import linear_softmax
from tpw_tf.models.config import resolve
from tpw_tf.models.tiny_separable_cnn import DEFAULTS as SEPARABLE_DEFAULTS
from tpw_tf.models.tiny_separable_cnn import separable_features, stored_pointwise

DEFAULTS = dict(SEPARABLE_DEFAULTS, latent_dim=16, kl_weight=1e-3)


@keras.saving.register_keras_serializable(package="tpw")
class LatentSample(keras.layers.Layer):
    """Reparameterised Gaussian sample in training, the mean at inference.

    Adds ``kl_weight * mean(KL(N(mu, exp(logvar)) || N(0, I)))`` with
    ``KL = -0.5 * sum(1 + logvar - mu**2 - exp(logvar))`` over the latent (last)
    axis and the mean over all other axes (the batch).

    Args:
        kl_weight: weight of the KL term (>= 0).
        seed: optional seed of the noise.

    Input shape:
        ``[mu, logvar]``, each ``(batch, ..., latent_dim)``.

    Output shape:
        like ``mu``.
    """

    def __init__(self, kl_weight: float = 1e-3, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if kl_weight < 0:
            raise TpwError(f"LatentSample: kl_weight must be >= 0, got {kl_weight}")
        self.kl_weight = float(kl_weight)
        self.seed = seed

    def call(self, inputs, training=None):
        mu, logvar = inputs
        kl = -0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar), axis=-1)
        self.add_loss(self.kl_weight * tf.reduce_mean(kl))
        if not training:
            return mu
        eps = tf.random.normal(tf.shape(mu), seed=self.seed)
        return mu + tf.exp(0.5 * logvar) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight, "seed": self.seed}


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
    x = layers.AveragePooling2D((1, x.shape[2]), name="pool")(x)
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
