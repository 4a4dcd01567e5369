"""The VAE latent of ``tiny_vae_head``: a sample in training, the mean at inference."""
from __future__ import annotations

import tensorflow as tf
import tf_keras as keras

from tpw_tf.errors import TpwError


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
