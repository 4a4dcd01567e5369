"""The training recipe: every option of a run, validated in one place."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tpw_tf.errors import TpwError


def _check_kind(key: str, value, default) -> None:
    """Raise TpwError naming ``key`` unless ``value`` is of the kind of the field's ``default``."""
    if isinstance(default, bool):
        ok, kind = isinstance(value, bool), "true or false"
    elif isinstance(default, (int, float)):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = number and (isinstance(default, float) or value == int(value))
        kind = "a number" if isinstance(default, float) else "a whole number"
    else:
        ok, kind = isinstance(value, (list, tuple, str)) and all(isinstance(v, str) for v in value), "a list of names"
    if not ok:
        raise TpwError(f"training option {key} must be {kind}, got {value!r}")


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
    # New variants of every training batch (tpw_tf.train.augment: ECG gain, wander, noise and
    # shift; MFCC shift and SpecAugment masks).
    augment: bool = False
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
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        for key, value in options.items():
            if key not in defaults:
                raise TpwError(f"unknown training option '{key}': choose one of {', '.join(sorted(defaults))}")
            _check_kind(key, value, defaults[key])  # a value of the wrong kind (-t augment=maybe) is named here
        if "l1_patterns" in options:
            options["l1_patterns"] = tuple([options["l1_patterns"]] if isinstance(options["l1_patterns"], str)
                                           else options["l1_patterns"])
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
        """Whether a KD or feature-matching term is weighted, so a teacher must be at hand."""
        return self.kd_alpha > 0 or self.feature_weight > 0


@dataclass(frozen=True)
class DatasetDefaults:
    """What ``tpw-export`` and ``tpw-cv`` use on a dataset where the command line is silent.

    Attributes:
        epochs: training epochs (``--epochs``).
        train: :class:`Recipe` options (``-t KEY=VALUE`` overrides one).
        model: config of the default model, :data:`DEFAULT_MODEL` (``-m KEY=VALUE`` overrides
            one; another ``--model`` keeps its own zoo defaults).
    """

    epochs: int = 10
    train: dict = dataclasses.field(default_factory=dict)
    model: dict = dataclasses.field(default_factory=dict)


DEFAULT_MODEL = "hypertinypw"
# Found by grouped cross-validation over patients / speakers (tpw-cv; docs/results.md,
# "Generalization"); the loaders' own defaults carry the input side of each recipe.
DATASET_DEFAULTS: dict[str, DatasetDefaults] = {
    # 12 leads (the loader's default) with augmentation: mean macro-F1 .839 -> .882 over 5 folds.
    "ptbxl": DatasetDefaults(train={"augment": True}),
    # 1,450 training clips a fold: augmentation, 30 epochs and width 64 (50 kB shipped):
    # mean accuracy .657 -> .795 over 5 speaker-disjoint folds.
    "speech": DatasetDefaults(epochs=30, train={"augment": True}, model={"width": 64}),
}


def defaults_for(dataset: str) -> DatasetDefaults:
    """``dataset``'s :class:`DatasetDefaults` (10 epochs and the zoo's and Recipe's defaults if none)."""
    return DATASET_DEFAULTS.get(dataset, DatasetDefaults())


def dataset_recipe(dataset: str, **options) -> dict:
    """The training options of a run on ``dataset``: its defaults' ``train``, then ``options``
    over them, validated (:meth:`Recipe.from_options`; TpwError names a bad one)."""
    merged = {**defaults_for(dataset).train, **options}
    Recipe.from_options(**merged)
    return merged


def dataset_model_config(dataset: str, model: str, config: dict | None) -> dict:
    """``config`` over the dataset's default model config when ``model`` is :data:`DEFAULT_MODEL`."""
    base = defaults_for(dataset).model if model == DEFAULT_MODEL else {}
    return {**base, **(config or {})}
