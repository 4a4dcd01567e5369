"""The whole export, as one function: data, model, training, bake, convert,
parity, ledger. ``tpw-export`` wraps it with argument parsing and file output."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tf_keras as keras

import tpw_tf.layers  # noqa: F401  (registers the custom layers for checkpoint loading)
from tpw_export.bake import bake
from tpw_export.convert import convert
from tpw_export.errors import ExportError
from tpw_export.ledger import build_ledger
from tpw_export.parity import check_parity
from tpw_export.tflm import tflm_arena_bytes
from tpw_tf import data, train
from tpw_tf.data import hrv
from tpw_tf.errors import TpwError, first_line
from tpw_tf.models import build_model, input_features

CALIBRATION_WINDOWS = 256
# --compress choice -> what QAT preserves of it
COMPRESSORS = {None: None, "prune": "sparsity", "cluster": "clusters"}


@dataclass
class Export:
    model: keras.Model
    baked: keras.Model
    flatbuffer: bytes
    ledger: dict
    parity: dict
    dataset: data.Dataset


def load_checkpoint(path: Path) -> keras.Model:
    """A model saved as ``.keras``; one-line TpwError for a missing or corrupt file."""
    if not path.is_file():
        raise TpwError(f"checkpoint {path}: no such file")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises zip, OS, value and type errors for a bad file
        raise TpwError(f"checkpoint {path}: cannot load it ({type(error).__name__}: "
                       f"{first_line(error, 'no detail')})") from error


def check_checkpoint(model: keras.Model, path: Path, input_shape, num_classes: int) -> None:
    """One-line TpwError unless the checkpoint's model fits the dataset's windows and classes."""
    if tuple(model.input_shape[1:]) != tuple(input_shape):
        raise TpwError(f"checkpoint {path}: takes inputs {tuple(model.input_shape[1:])}, "
                       f"the dataset has {tuple(input_shape)}")
    if model.output_shape[-1] != num_classes:
        raise TpwError(f"checkpoint {path}: predicts {model.output_shape[-1]} classes, "
                       f"the dataset has {num_classes}")


def calibration_windows(split: data.Split, seed: int) -> np.ndarray:
    """A fixed, shuffled subset of the training windows, so every class calibrates."""
    order = np.random.default_rng(seed).permutation(len(split))[:CALIBRATION_WINDOWS]
    return split.x[np.sort(order)]


def run(*, dataset: str, model_name: str = "hypertinypw", epochs: int = 10, seed: int = 0, bits: int = 8,
        data_dir: str | None = None, checkpoint: Path | None = None, progress: bool = True,
        model_config: dict | None = None, dataset_options: dict | None = None,
        compress: str | None = None, qat: bool = False) -> Export:
    """Train (or load) a model, bake, convert to INT8, check parity and count bytes.

    ``dataset_options`` are passed to :func:`tpw_tf.data.load` (e.g. ``split``, ``folds``).
    ``compress`` (``prune`` or ``cluster``) fine-tunes the baked model with
    tensorflow-model-optimization; the ledger then counts its packed kernels for
    boot and lazy. ``qat`` adds quantization-aware fine-tuning before conversion
    (preserving the pruned zeros or the clusters when compressing).
    """
    if compress not in COMPRESSORS:
        raise TpwError(f"compress must be one of {', '.join(c for c in COMPRESSORS if c)}, got {compress!r}")
    # A bad checkpoint is refused before the dataset loads (which may download it).
    model = None if checkpoint is None else load_checkpoint(checkpoint)
    ds = data.load(dataset, data_dir=data_dir, **(dataset_options or {}))
    if input_features(model_name) == "hrv" and ds.info.get("features") != "hrv":
        ds = hrv.hrv_features(ds)
    train_split = ds.require("train")
    if checkpoint is not None:
        check_checkpoint(model, checkpoint, ds.input_shape, ds.num_classes)
    else:
        train.seed_everything(seed)
        model = build_model(model_name, ds.input_shape, ds.num_classes, **(model_config or {}))
        model = train.train(model, ds, epochs=epochs, seed=seed, progress=progress)
    baked = bake(model, bits=bits)
    compressed = None
    if compress is not None:
        from tpw_export import compress as compression

        compressed = getattr(compression, compress)(baked, train_split.x, train_split.y)
        baked = model = compressed.model  # its kernels are no longer generated: count them as stored
    exported = baked
    if qat:
        from tpw_export import compress as compression

        exported = compression.quantize_aware(baked, train_split.x, train_split.y,
                                              preserve=COMPRESSORS[compress])
    flatbuffer = convert(exported, calibration_windows(train_split, seed))
    check_name = "test" if len(ds.splits["test"]) else "train"
    check_split = ds.splits[check_name]
    parity = {"split": check_name, **check_parity(flatbuffer, baked, check_split.x, check_split.y)}
    if parity["mismatched_windows"]:
        where = parity["first_divergence"]
        raise ExportError(f"parity: TFLM and tf.lite's reference kernels disagree on "
                          f"{parity['mismatched_windows']} of {parity['windows']} windows"
                          + (f", first at op {where['op']} {where['name']} (by {where['difference']})"
                             if where else ""))
    ledger = build_ledger(model, baked, flatbuffer, bits=bits, arena_bytes=tflm_arena_bytes(flatbuffer),
                          compressed=compressed)
    ledger["qat"] = qat
    ledger["dataset"] = dataset
    ledger["parity"] = parity
    return Export(model, baked, flatbuffer, ledger, parity, ds)
