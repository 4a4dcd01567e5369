"""Training: the Eq. 5 loss in an explicit, deterministic training loop.

``train(model, dataset, epochs=..., seed=...)`` runs AdamW on the train split
with class-balanced weights, gradient clipping, a weight EMA updated every step
and a guard that skips (and reports) any step whose loss or gradient is not
finite. The returned model holds the EMA weights. Every loss term has its
weight in :class:`Recipe`; the KD / feature-matching teacher (``regular_cnn``)
is trained once per dataset and configuration and cached on disk.

Determinism: the same seed, data and initial weights give identical final
weights. Call :func:`seed_everything` before building the model so its
initial weights are reproducible too.

Modules: ``recipe`` (the options), ``step`` (loss terms, gradients, update,
EMA), ``batchnorm`` (BatchNorm statistics for the EMA weights), ``loop`` (the
epochs, and the teacher it trains), ``teacher`` (the teacher's key and cache).
"""
from tpw_tf.train.batchnorm import PreciseBatchNorm
from tpw_tf.train.loop import cached_teacher, class_weights, predict, seed_everything, train
from tpw_tf.train.recipe import Recipe
from tpw_tf.train.step import TrainStep
from tpw_tf.train.teacher import TEACHER_MODEL, teacher_key, teacher_path

__all__ = ["TEACHER_MODEL", "PreciseBatchNorm", "Recipe", "TrainStep", "cached_teacher", "class_weights",
           "predict", "seed_everything", "teacher_key", "teacher_path", "train"]
