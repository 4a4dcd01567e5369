"""Training recipe: the Eq. 5 loss in an explicit, deterministic training loop.

``train(model, dataset, epochs=..., seed=...)`` runs AdamW on the train split
with class-balanced weights, gradient clipping, a weight EMA updated every step
and a guard that skips (and reports) any step whose loss or gradient is not
finite. The returned model holds the EMA weights. Every loss term has its
weight in :class:`Recipe`; the KD / feature-matching teacher (``regular_cnn``)
is trained once per dataset and configuration and cached on disk.

Determinism: the same seed, data and initial weights give identical final
weights. Call :func:`seed_everything` before building the model so its
initial weights are reproducible too.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras
from tqdm import tqdm

from tpw_tf import losses, metrics
from tpw_tf.data import Dataset
from tpw_tf.errors import TpwError
from tpw_tf.layers import GeneratedPointwise

TEACHER_MODEL = "regular_cnn"


@dataclass(frozen=True)
class Recipe:
    """Every training option; the ``*_weight`` fields are the Eq. 5 weights.

    The loss is ``(1 - kd_alpha) * (ce_weight * CE + focal_weight * Focal)
    + kd_alpha * KD + feature_weight * FM + soft_f1_weight * (1 - softF1)
    + spectral_weight * Spectral + l1_weight * L1``.
    """

    learning_rate: float = 1e-2  # best of 2e-3, 5e-3, 1e-2 on synthetic (10 epochs, INT8 macro-F1)
    # Cosine decay of the learning rate to zero over the run (else constant).
    cosine_decay: bool = False
    weight_decay: float = 1e-4
    clip_norm: float = 1.0
    ema_decay: float = 0.99
    class_balance: bool = True
    ce_weight: float = 1.0
    focal_weight: float = 0.0
    focal_gamma: float = 2.0
    kd_alpha: float = 0.0
    kd_temperature: float = 4.0
    feature_weight: float = 0.0
    soft_f1_weight: float = 0.0
    spectral_weight: float = 0.0
    l1_weight: float = 0.0
    # Substrings of the weight names the L1 size penalty reads: generator heads
    # (``head_kernel``, ``head_B``, ``head_basis_*``) and layer codes.
    l1_patterns: tuple[str, ...] = ("head_", "code")
    teacher_epochs: int = 10
    # Training batches over which BatchNorm statistics are re-estimated for the EMA weights.
    bn_batches: int = 32

    @classmethod
    def from_options(cls, **options) -> "Recipe":
        """Validate keyword options in one place; unknown or out-of-range ones raise TpwError."""
        fields = {f.name for f in dataclasses.fields(cls)}
        for key in options:
            if key not in fields:
                raise TpwError(f"unknown training option '{key}': choose one of {', '.join(sorted(fields))}")
        if "l1_patterns" in options:
            options["l1_patterns"] = tuple(options["l1_patterns"])
        recipe = cls(**options)
        for f in dataclasses.fields(cls):
            value = getattr(recipe, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise TpwError(f"training option {f.name} must be >= 0, got {value}")
        if not 0.0 <= recipe.kd_alpha <= 1.0:
            raise TpwError(f"training option kd_alpha must be in [0, 1], got {recipe.kd_alpha}")
        if not 0.0 <= recipe.ema_decay < 1.0:
            raise TpwError(f"training option ema_decay must be in [0, 1), got {recipe.ema_decay}")
        if recipe.kd_temperature <= 0 or recipe.clip_norm <= 0 or recipe.learning_rate <= 0:
            raise TpwError("training options kd_temperature, clip_norm and learning_rate must be > 0, got "
                           f"{recipe.kd_temperature}, {recipe.clip_norm}, {recipe.learning_rate}")
        return recipe

    @property
    def needs_teacher(self) -> bool:
        return self.kd_alpha > 0 or self.feature_weight > 0


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow and make TF ops deterministic."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def class_weights(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """``1 / (K * prior_c)`` per class (0 for a class absent from ``labels``), float32 ``(K,)``.

    With these weights every class contributes equally to the expected loss.
    """
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    weights = np.divide(len(labels), num_classes * counts, out=np.zeros(num_classes), where=counts > 0)
    return weights.astype(np.float32)


def _pooled_features(model: keras.Model) -> tf.Tensor:
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
        self.norms = [layer for layer in model.submodules if isinstance(layer, keras.layers.BatchNormalization)]
        self.batch_statistics = tf.function(lambda x: model(x, training=True))
        self.gradients = tf.function(self._gradients)
        self.apply = tf.function(self._apply)

    def _terms(self, x, y, training=True):
        """Each Eq. 5 term (unweighted) for batch ``x`` ``(B, 1, T, C)``, labels ``y`` ``(B,)``."""
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
        """The weighted Eq. 5 sum of ``terms``."""
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

    def recalibrate_batchnorm(self, x: np.ndarray, *, batch_size: int) -> None:
        """Re-estimate every BatchNorm's moving mean and variance as the mean of batch statistics over ``x``.

        The moving statistics gathered during training describe the live
        weights of past steps, not the EMA weights that ship, and after a few
        hundred steps they still remember their initial values (momentum
        0.99). With momentum 0 a training-mode pass leaves each batch's
        statistics in the moving variables; their average over the batches of
        ``x`` ``(N, 1, T, C)`` replaces them ("precise BN").
        """
        if not self.norms:
            return
        momenta = [layer.momentum for layer in self.norms]
        for layer in self.norms:
            layer.momentum = 0.0  # read when self.batch_statistics is first traced
        moving = [v for layer in self.norms for v in (layer.moving_mean, layer.moving_variance)]
        sums = [np.zeros(v.shape, np.float64) for v in moving]
        starts = range(0, len(x), batch_size)
        for start in starts:
            self.batch_statistics(tf.constant(x[start:start + batch_size]))
            for total, v in zip(sums, moving):
                total += v.numpy()
        for v, total in zip(moving, sums):
            v.assign((total / len(starts)).astype(np.float32))
        for layer, momentum in zip(self.norms, momenta):
            layer.momentum = momentum

    def swap_ema(self):
        """Exchange live and EMA weights (call twice to go back)."""
        for shadow, v in zip(self.ema, self.model.trainable_variables):
            live = v.read_value()
            v.assign(shadow)
            shadow.assign(live)


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(N, K)`` of ``x`` ``(N, 1, T, C)`` in inference mode."""
    parts = [model.predict_on_batch(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)


def train(model: keras.Model, dataset: Dataset, *, epochs: int, seed: int, batch_size: int = 64,
          progress: bool = True, teacher: keras.Model | None = None, history: list | None = None,
          **recipe) -> keras.Model:
    """Train ``model`` on ``dataset.splits['train']`` and return it holding the EMA weights.

    Args:
        model: a ``tf_keras`` model mapping ``(B, 1, T, C)`` to softmax ``(B, K)``
            (compiled or not; its compile settings are ignored).
        dataset: the data; ``val`` is scored after each epoch when non-empty.
        epochs: passes over the train split (the last partial batch is dropped
            when the split holds more than one batch).
        seed: seeds shuffling, dropout and the teacher.
        batch_size: windows per step.
        progress: show a per-step progress bar and per-epoch summary on stderr.
        teacher: the KD / feature-matching teacher; when None and the recipe
            needs one, :func:`cached_teacher` trains or loads ``regular_cnn``.
        history: if given, one dict per epoch is appended (loss, skipped steps,
            val accuracy and macro-F1).
        **recipe: :class:`Recipe` fields.
    """
    r = Recipe.from_options(**recipe)
    if not isinstance(epochs, int) or epochs < 1:
        raise TpwError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise TpwError(f"batch_size must be a positive int, got {batch_size!r}")
    split = dataset.require("train")
    if r.needs_teacher and teacher is None:
        teacher = cached_teacher(dataset, seed=seed, epochs=r.teacher_epochs, progress=progress)
    seed_everything(seed)
    weights = (class_weights(split.y, dataset.num_classes) if r.class_balance
               else np.ones(dataset.num_classes, np.float32))
    n = len(split)
    steps_per_epoch = n // batch_size if n > batch_size else 1
    step = TrainStep(model, r, teacher if r.needs_teacher else None, weights,
                     total_steps=epochs * steps_per_epoch)
    val = dataset.splits["val"]

    rng = np.random.default_rng(seed)
    # A fixed shuffled subset, so recalibration sees every class and subject.
    calibration = split.x[rng.permutation(n)[:batch_size * r.bn_batches]]

    def use_ema():
        step.swap_ema()
        step.recalibrate_batchnorm(calibration, batch_size=batch_size)

    bar = tqdm(total=epochs * steps_per_epoch, file=sys.stderr, disable=not progress, unit="step",
               dynamic_ncols=True)
    try:
        for epoch in range(1, epochs + 1):
            bar.set_description(f"epoch {epoch}/{epochs}")
            order = rng.permutation(n)
            losses_seen, skipped = [], 0
            for s in range(steps_per_epoch):
                idx = order[s * batch_size:(s + 1) * batch_size]
                loss, grads, finite, stats = step.gradients(tf.constant(split.x[idx]),
                                                            tf.constant(split.y[idx]))
                if bool(finite):
                    step.apply(grads)
                    losses_seen.append(float(loss))
                    bar.set_postfix(loss=f"{float(loss):.4f}")
                else:
                    step.restore(stats)
                    skipped += 1
                    tqdm.write(f"warning: epoch {epoch} step {s + 1}: non-finite loss or gradient "
                               f"(loss={float(loss)}), step skipped", file=sys.stderr)
                bar.update(1)
            record = {"epoch": epoch, "loss": float(np.mean(losses_seen)) if losses_seen else float("nan"),
                      "skipped_steps": skipped}
            if len(val):
                use_ema()
                predicted = predict(model, val.x).argmax(axis=1)
                step.swap_ema()
                record["val_accuracy"] = metrics.accuracy(val.y, predicted)
                record["val_macro_f1"] = metrics.macro_f1(val.y, predicted, dataset.num_classes)
            if history is not None:
                history.append(record)
            if progress:
                tqdm.write(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in record.items()), file=sys.stderr)
    finally:
        bar.close()
    use_ema()
    return model


def cache_dir() -> Path:
    """Where trained teachers are kept: ``$TPW_CACHE_DIR`` or ``~/.cache/tpw``."""
    return Path(os.environ.get("TPW_CACHE_DIR") or Path.home() / ".cache" / "tpw")


def teacher_key(dataset: Dataset, *, seed: int, epochs: int, config: dict) -> str:
    """A hash of everything that decides the teacher's weights: data, model config, the recipe it
    trains with (so a changed default retrains it), seed, epochs, TF."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"dataset": dataset.name, "model": TEACHER_MODEL, "config": config,
                              "recipe": dataclasses.asdict(Recipe()), "seed": seed, "epochs": epochs,
                              "tf": tf.__version__}, sort_keys=True).encode())
    for name in ("train", "val"):
        s = dataset.splits[name]
        digest.update(np.ascontiguousarray(s.x).tobytes())
        digest.update(np.ascontiguousarray(s.y).tobytes())
    return digest.hexdigest()[:16]


def cached_teacher(dataset: Dataset, *, seed: int, epochs: int, progress: bool = True,
                   directory: Path | None = None, **config) -> keras.Model:
    """Load the ``regular_cnn`` teacher for this dataset and configuration, training it once if absent.

    The teacher is trained with cross-entropy only (class-balanced) and saved
    as ``<directory>/teachers/<dataset>-<key>.keras`` via a temporary file, so
    an interrupted run never leaves a half-written teacher behind.
    """
    from tpw_tf.models import build_model

    path = (directory or cache_dir()) / "teachers" / \
        f"{dataset.name}-{teacher_key(dataset, seed=seed, epochs=epochs, config=config)}.keras"
    if path.exists():
        return keras.models.load_model(path, compile=False)
    seed_everything(seed)
    teacher = build_model(TEACHER_MODEL, dataset.input_shape, dataset.num_classes, **config)
    train(teacher, dataset, epochs=epochs, seed=seed, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        teacher.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return teacher
