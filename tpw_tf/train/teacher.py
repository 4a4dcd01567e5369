"""The KD / feature-matching teacher's cache: one saved ``regular_cnn`` per dataset and configuration.

Teachers live in ``<root>/teachers/<dataset>-<key>.keras``, where ``<root>`` is
the array cache's (:func:`tpw_tf.data.array_cache.cache_root`: ``$TPW_CACHE_DIR``,
else ``~/.cache/tpw/arrays``), so one variable moves every cache tpw keeps.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np
import tensorflow as tf
import tf_keras as keras

from tpw_tf import atomic
from tpw_tf.data import Dataset
from tpw_tf.data.array_cache import cache_root
from tpw_tf.errors import TpwError
from tpw_tf.train.recipe import Recipe

TEACHER_MODEL = "regular_cnn"


def teacher_key(dataset: Dataset, *, seed: int, epochs: int, config: dict) -> str:
    """A hash of everything that decides the teacher's weights: data, model config, the recipe it
    trains with (so a changed default retrains it), seed, epochs, TF. 16 hex digits."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"dataset": dataset.name, "model": TEACHER_MODEL, "config": config,
                              "recipe": dataclasses.asdict(Recipe()), "seed": seed, "epochs": epochs,
                              "tf": tf.__version__}, sort_keys=True).encode())
    for name in ("train", "val"):
        s = dataset.splits[name]
        digest.update(np.ascontiguousarray(s.x).tobytes())
        digest.update(np.ascontiguousarray(s.y).tobytes())
    return digest.hexdigest()[:16]


def teacher_path(dataset: Dataset, *, seed: int, epochs: int, config: dict,
                 directory: Path | None = None) -> Path:
    """Where the teacher of this configuration is kept; ``directory`` defaults to the cache root."""
    key = teacher_key(dataset, seed=seed, epochs=epochs, config=config)
    return Path(directory or cache_root()) / "teachers" / f"{dataset.name}-{key}.keras"


def load_or_build(path: Path, build: Callable[[], keras.Model]) -> keras.Model:
    """The model saved at ``path`` (uncompiled); on a miss, the model ``build()`` returns, saved there.

    The file is staged beside ``path`` and renamed into place (:func:`tpw_tf.atomic.staged`),
    so a run interrupted while saving never leaves a half-written teacher behind.

    Raises:
        TpwError: the folder cannot be created or the file cannot be written.
    """
    if path.exists():
        return keras.models.load_model(path, compile=False)
    model = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TpwError(f"teacher cache {path.parent}: cannot create ({error.strerror})") from None
    with atomic.staged(path) as temporary:
        model.save(temporary)
    return model
