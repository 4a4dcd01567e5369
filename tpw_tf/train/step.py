"""One training step: the Eq. 5 loss terms, their clipped gradients, the AdamW update and the weight EMA."""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras

from tpw_tf import losses
from tpw_tf.errors import TpwError
from tpw_tf.layers import GeneratedPointwise
from tpw_tf.train.recipe import Recipe


def _pooled_features(model: keras.Model) -> tf.Tensor:
    """The output of ``model``'s ``gap`` layer, ``(B, F)``; TpwError when it has none."""
    try:
        return model.get_layer("gap").output
    except ValueError:
        raise TpwError(f"model '{model.name}' has no layer named 'gap': feature matching needs "
                       "its pooled features") from None


class TrainStep:
    """The compiled loss/gradient computation and the update it feeds.

    ``view`` maps an input batch to ``[probs, (pooled features), (latents of
    generated layers...)]``, so one forward pass gives every term its input.

    Args:
        model: the student; ``(B, 1, T, C)`` -> softmax ``(B, K)``.
        recipe: loss weights and optimizer settings.
        teacher: model with a ``gap`` layer, or None (then KD and feature
            matching are not computed).
        weights: ``(K,)`` per-class loss weights.
        total_steps: optimizer steps of the run (the length of the cosine decay).

    Raises:
        TpwError: a weighted term has nothing to act on (feature matching without
            a ``gap`` layer, spectral without a GeneratedPointwise layer, L1 without
            a weight matching ``recipe.l1_patterns``).
    """

    def __init__(self, model: keras.Model, recipe: Recipe, teacher: keras.Model | None,
                 weights: np.ndarray, total_steps: int = 1):
        self.model, self.recipe = model, recipe
        self.class_weights = tf.constant(weights)
        outputs = [model.output]
        if recipe.feature_weight > 0:
            outputs.append(_pooled_features(model))
        self.generated = [layer for layer in model.layers if isinstance(layer, GeneratedPointwise)]
        if recipe.spectral_weight > 0:
            if not self.generated:
                raise TpwError(f"spectral_weight={recipe.spectral_weight} but model '{model.name}' "
                               "has no GeneratedPointwise layer to regularize")
            outputs += [layer.input[1] for layer in self.generated]
        self.view = keras.Model(model.inputs, outputs)
        self.teacher_view = (keras.Model(teacher.inputs, [teacher.output, _pooled_features(teacher)])
                             if teacher is not None else None)
        self.l1_weights = [w for w in model.trainable_weights
                           if any(p in w.name for p in recipe.l1_patterns)]
        if recipe.l1_weight > 0 and not self.l1_weights:
            raise TpwError(f"l1_weight={recipe.l1_weight} but no weight of model '{model.name}' "
                           f"matches l1_patterns={list(recipe.l1_patterns)}")

        rate = (keras.optimizers.schedules.CosineDecay(recipe.learning_rate, decay_steps=total_steps)
                if recipe.cosine_decay else recipe.learning_rate)
        self.optimizer = keras.optimizers.AdamW(learning_rate=rate,
                                                weight_decay=recipe.weight_decay)
        # Decay the kernels only: biases, BatchNorm scales and codes have no scale to shrink.
        self.optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "code"])
        self.optimizer.build(model.trainable_variables)
        self.ema = [tf.Variable(v, trainable=False) for v in model.trainable_variables]
        self.ema_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.gradients = tf.function(self._gradients)
        self.apply = tf.function(self._apply)

    def _terms(self, x, y, training=True):
        """Each Eq. 5 term (unweighted, scalar) for batch ``x`` ``(B, 1, T, C)``, labels ``y`` ``(B,)``."""
        r = self.recipe
        outputs = self.view(x, training=training)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        probs = outputs[0]
        sample_weights = tf.gather(self.class_weights, y)
        terms = {"ce": losses.cross_entropy(y, probs, sample_weights),
                 "focal": losses.focal(y, probs, sample_weights, r.focal_gamma),
                 "soft_f1": losses.soft_f1(y, probs),
                 "l1": losses.l1(self.l1_weights)}
        if self.teacher_view is not None:
            teacher_probs, teacher_features = self.teacher_view(x, training=False)
            terms["kd"] = losses.distillation(probs, teacher_probs, r.kd_temperature)
            if r.feature_weight > 0:
                terms["feature"] = losses.feature_matching(outputs[1], teacher_features)
        if r.spectral_weight > 0:
            latents = outputs[-len(self.generated):]
            terms["spectral"] = losses.spectral(
                [layer.synthesize(u) for layer, u in zip(self.generated, latents)])
        # Losses the layers add themselves (a VAE latent's KL), already weighted by the layer.
        terms["layers"] = tf.add_n(self.view.losses) if self.view.losses else tf.constant(0.0)
        return terms

    def total(self, terms: dict) -> tf.Tensor:
        """The weighted Eq. 5 sum of ``terms`` (a scalar)."""
        r = self.recipe
        zero = tf.constant(0.0)
        return ((1.0 - r.kd_alpha) * (r.ce_weight * terms["ce"] + r.focal_weight * terms["focal"])
                + r.kd_alpha * terms.get("kd", zero) + r.feature_weight * terms.get("feature", zero)
                + r.soft_f1_weight * terms["soft_f1"] + r.spectral_weight * terms.get("spectral", zero)
                + r.l1_weight * terms["l1"] + terms["layers"])

    def _gradients(self, x, y):
        """Loss, clipped gradients, whether both are finite, and the BatchNorm statistics before the step."""
        stats = [v.read_value() for v in self.model.non_trainable_variables]
        with tf.GradientTape() as tape:
            loss = self.total(self._terms(x, y))
        grads = tape.gradient(loss, self.model.trainable_variables)
        grads = [g if g is not None else tf.zeros_like(v)
                 for g, v in zip(grads, self.model.trainable_variables)]
        clipped, norm = tf.clip_by_global_norm(grads, self.recipe.clip_norm)
        finite = tf.logical_and(tf.math.is_finite(loss), tf.math.is_finite(norm))
        return loss, clipped, finite, stats

    def _apply(self, grads):
        """One AdamW update, then ``shadow <- d * shadow + (1 - d) * weight`` with
        ``d = min(ema_decay, (1 + t) / (10 + t))`` at update ``t`` (1, 2, ...)."""
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        # Warm-up of the decay (as tf.train.ExponentialMovingAverage with
        # num_updates) so short runs are not dominated by the initial weights.
        self.ema_steps.assign_add(1)
        steps = tf.cast(self.ema_steps, tf.float32)
        decay = tf.minimum(self.recipe.ema_decay, (1.0 + steps) / (10.0 + steps))
        for shadow, v in zip(self.ema, self.model.trainable_variables):
            shadow.assign(decay * shadow + (1.0 - decay) * v)

    def restore(self, stats):
        """Undo the BatchNorm statistics a skipped step's forward pass moved."""
        for v, value in zip(self.model.non_trainable_variables, stats):
            v.assign(value)

    def swap_ema(self):
        """Exchange live and EMA weights (call twice to go back)."""
        for shadow, v in zip(self.ema, self.model.trainable_variables):
            live = v.read_value()
            v.assign(shadow)
            shadow.assign(live)
