"""The training loop: seeding, class balance, epochs of :class:`TrainStep`, and the EMA model it returns.

:func:`train` and :func:`cached_teacher` call each other (a recipe with KD needs
a teacher; a teacher is trained by the same loop), so both live here.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras
from tqdm import tqdm

from tpw_tf import metrics
from tpw_tf.data import Dataset
from tpw_tf.errors import TpwError
from tpw_tf.models import build_model
from tpw_tf.train.augment import augmenter_for
from tpw_tf.train.batchnorm import PreciseBatchNorm
from tpw_tf.train.recipe import Recipe
from tpw_tf.train.step import TrainStep
from tpw_tf.train.teacher import TEACHER_MODEL, load_or_build, teacher_path


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


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(N, K)`` of ``x`` ``(N, 1, T, C)`` in inference mode."""
    parts = [model.predict_on_batch(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)


def train(model: keras.Model, dataset: Dataset, *, epochs: int, seed: int, batch_size: int = 64,
          progress: bool = True, teacher: keras.Model | None = None, history: list | None = None,
          **recipe) -> keras.Model:
    """Train ``model`` on ``dataset.splits['train']`` and return it holding the EMA weights.

    Each step minimises the Eq. 5 loss with AdamW, class-balanced weights and
    gradient clipping; a step whose loss or gradient is not finite is skipped
    and reported. After each epoch (scored on ``val``) and at the end, the EMA
    weights get BatchNorm statistics re-estimated on a fixed training subset.

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

    Raises:
        TpwError: a bad option, epoch count or batch size, no train split, or a
            weighted loss term with nothing to act on (see :class:`TrainStep`).
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
    recalibrate_batchnorm = PreciseBatchNorm(model)
    val = dataset.splits["val"]

    rng = np.random.default_rng(seed)
    # Its own generator, so turning augmentation on leaves the batch order as it was.
    augment_rng = np.random.default_rng([seed, 1])
    augment = augmenter_for(dataset) if r.augment else None
    # A fixed shuffled subset, so recalibration sees every class and subject.
    calibration = split.x[rng.permutation(n)[:batch_size * r.bn_batches]]

    def use_ema():
        step.swap_ema()
        recalibrate_batchnorm(calibration, batch_size=batch_size)

    bar = tqdm(total=epochs * steps_per_epoch, file=sys.stderr, disable=not progress, unit="step",
               dynamic_ncols=True)
    try:
        for epoch in range(1, epochs + 1):
            bar.set_description(f"epoch {epoch}/{epochs}")
            order = rng.permutation(n)
            losses_seen, skipped = [], 0
            for s in range(steps_per_epoch):
                idx = order[s * batch_size:(s + 1) * batch_size]
                batch = split.x[idx] if augment is None else augment(split.x[idx], augment_rng)
                loss, grads, finite, stats = step.gradients(tf.constant(batch), tf.constant(split.y[idx]))
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


def cached_teacher(dataset: Dataset, *, seed: int, epochs: int, progress: bool = True,
                   directory: Path | None = None, **config) -> keras.Model:
    """Load the ``regular_cnn`` teacher for this dataset and configuration, training it once if absent.

    The teacher is trained with the default :class:`Recipe` (cross-entropy only,
    class-balanced) and kept as :func:`~tpw_tf.train.teacher.teacher_path` says;
    ``directory`` replaces the cache root, ``config`` goes to the zoo's ``regular_cnn``.
    """
    def build() -> keras.Model:
        seed_everything(seed)
        model = build_model(TEACHER_MODEL, dataset.input_shape, dataset.num_classes, **config)
        return train(model, dataset, epochs=epochs, seed=seed, progress=progress)

    return load_or_build(teacher_path(dataset, seed=seed, epochs=epochs, config=config, directory=directory),
                         build)
