"""The export chain, once: :func:`export_model` (bake, optional compression and QAT,
convert, ledger) for a model in hand, and :func:`run` (data, training, export_model,
parity) for ``tpw-export``, which wraps it with argument parsing and file output."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tf_keras as keras

import tpw_tf.layers  # noqa: F401  (registers the custom layers for checkpoint loading)
from tpw_export.bake import bake, expanded_layers
from tpw_export.convert import convert
from tpw_export.errors import ExportError
from tpw_export.ledger import SCHEDULES, build_ledger
from tpw_export.parity import check_parity
from tpw_export.slim import slim
from tpw_export.synth_boot import runtime_arena_bytes, runtime_mismatches, synthesized_file
from tpw_export.synthesis import synthesis_parts
from tpw_export.tflm import tflm_arena_bytes
from tpw_tf import data, train
from tpw_tf.data import hrv
from tpw_tf.errors import TpwError, first_line
from tpw_tf.models import build_model, input_features
from tpw_tf.train.recipe import dataset_model_config, dataset_recipe, defaults_for

CALIBRATION_WINDOWS = 256
# --compress choice -> what QAT preserves of it
COMPRESSORS = {None: None, "prune": "sparsity", "cluster": "clusters"}


@dataclass
class Exported:
    """A model through the export chain.

    ``model`` is what the ledger counts (the trained model, or the compressed one: its
    kernels are then stored, not generated), ``baked`` its plain Keras form, ``flatbuffer``
    the slimmed INT8 file TFLM runs (the ``baked`` schedule), ``converted`` the
    converter's file before slimming (tf.lite's reference kernels run it for parity).
    ``schedule`` is the schedule :attr:`file` ships; for ``boot`` / ``lazy``,
    ``decoded`` is ``flatbuffer`` with DECODE-compressed tensors
    (:class:`tpw_export.tflm_compress.TflmCompressed`); ``synthesized`` says its
    generated kernels are DECODEs of tpw's type 128 (:mod:`tpw_export.synth_boot`),
    which our runtime runs and stock TFLM does not, synthesizing them at
    AllocateTensors (``boot``) or before each layer at every Invoke (``lazy``). The
    ledger is built on first use: it asks TFLM (our runtime for a synthesized file)
    for the arenas.
    """
    model: keras.Model
    baked: keras.Model
    flatbuffer: bytes
    bits: int
    compressed: object = None  # tpw_export.compress.Compressed
    qat: bool = False
    extra: dict = field(default_factory=dict)  # what the caller adds to the ledger
    converted: bytes = b""
    schedule: str = "baked"
    decoded: object = None  # tpw_export.tflm_compress.TflmCompressed
    synthesized: bool = False

    @property
    def file(self) -> bytes:
        """The bytes of the written schedule: what ``tpw-export`` writes to ``--out``."""
        return self.flatbuffer if self.decoded is None else self.decoded.flatbuffer

    @functools.cached_property
    def ledger(self) -> dict:
        ledger = build_ledger(self.model, self.baked, self.flatbuffer, bits=self.bits,
                              arena_bytes=tflm_arena_bytes(self.flatbuffer), compressed=self.compressed,
                              converted_bytes=len(self.converted) or None, written=self._written())
        return {**ledger, "qat": self.qat, **self.extra}

    def _written(self) -> dict:
        """The written schedule for the ledger: its file's size, the arena of each of boot and
        lazy (TFLM's for its one file; our runtime's for the synthesized files, which differ in
        their schedule byte only), its tensors."""
        written = {"schedule": self.schedule, "file_bytes": len(self.file)}
        if self.decoded is not None:
            if self.synthesized:
                files = {s: self.file if s == self.schedule else
                         synthesized_file(self.model, self.flatbuffer, bits=self.bits, schedule=s)
                         for s in ("boot", "lazy")}
                arena = {s: runtime_arena_bytes(file) for s, file in files.items()}
            else:
                arena = dict.fromkeys(("boot", "lazy"), tflm_arena_bytes(self.file))
            written.update(arena_bytes=arena, tensors=[choice.as_dict() for choice in self.decoded.choices],
                           synthesized=self.synthesized)
        return written


def export_model(model: keras.Model, calibration: np.ndarray, *, bits: int = 8,
                 compress: str | None = None, qat: bool = False, fine_tune=None,
                 calibration_windows: int = CALIBRATION_WINDOWS, schedule: str = "baked") -> Exported:
    """Bake ``model``, optionally compress and QAT fine-tune it, convert it to INT8 and
    slim the file (:func:`tpw_export.slim.slim`); for ``boot`` / ``lazy``, also write
    that schedule as a DECODE-compressed file (:mod:`tpw_export.tflm_compress`).

    Args:
        model: a trained ``tf_keras`` model of the zoo (generated layers or not).
        calibration: float32 ``(N, *input_shape[1:])`` windows calibrating the activations.
        bits: packing precision of the generator side (4, 6 or 8).
        compress: ``prune`` or ``cluster`` (tensorflow-model-optimization fine-tuning of the
            baked model); the ledger then counts its packed kernels for boot and lazy.
        qat: quantization-aware fine-tuning before conversion (preserving the pruned zeros
            or the clusters when compressing).
        fine_tune: ``(x, y)`` training windows and labels, required by ``compress`` and ``qat``.
        calibration_windows: how many of ``calibration`` the converter uses.
        schedule: ``baked`` (the slim file), or ``boot`` / ``lazy``. Generated kernels
            are written as synthesized-kernel DECODEs (:mod:`tpw_export.synth_boot`), whose
            header says the schedule (same size for both); ternary, clustered or pruned
            ones (``compress``) as TFLM's LUT / pruning, one file for both schedules,
            since TFLM decodes each such tensor before its consumer at every Invoke.
            Generated kernels synthesis defines are baked on the device's INT8 grid for
            every schedule, so the baked file holds exactly the kernels our runtime
            synthesizes from the boot and lazy files.

    Raises:
        TpwError: an unknown ``compress`` or ``schedule``, ``fine_tune`` missing where
            it is needed, or ``boot`` / ``lazy`` for generated kernels synthesis cannot make;
            ExportError from bake, compression or conversion.
    """
    if compress not in COMPRESSORS:
        raise TpwError(f"compress must be one of {', '.join(c for c in COMPRESSORS if c)}, got {compress!r}")
    if schedule not in SCHEDULES:
        raise TpwError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    device_grid = check_schedule(model, schedule, compress, bits)
    synthesized = device_grid and schedule != "baked"
    if (compress or qat) and fine_tune is None:
        raise TpwError("export_model: compress and qat fine-tune on training windows: pass fine_tune=(x, y)")
    baked = bake(model, bits=bits, device_grid=device_grid)
    if compress or qat:  # tfmot loads only for the comparators
        from tpw_export import compress as compression
    compressed = None
    if compress is not None:
        compressed = getattr(compression, compress)(baked, *fine_tune)
        baked = model = compressed.model  # its kernels are no longer generated: count them as stored
    converted = baked
    if qat:
        converted = compression.quantize_aware(baked, *fine_tune, preserve=COMPRESSORS[compress])
    flatbuffer = convert(converted, calibration, calibration_windows=calibration_windows)
    slimmed = slim(flatbuffer)
    decoded = None
    if synthesized:
        from tpw_export.tflm_compress import TflmCompressed

        decoded = TflmCompressed(synthesized_file(model, slimmed, bits=bits, schedule=schedule), [])
    elif schedule != "baked":
        from tpw_export.tflm_compress import ENCODINGS, compress_for_tflm

        decoded = compress_for_tflm(slimmed, encodings=ENCODINGS)
    return Exported(model, baked, slimmed, bits, compressed, qat, converted=flatbuffer, schedule=schedule,
                    decoded=decoded, synthesized=synthesized)


def check_schedule(model: keras.Model, schedule: str, compress: str | None, bits: int) -> bool:
    """Whether ``model``'s generated kernels are synthesized: baked on the device's INT8 grid
    (every schedule) and, for boot / lazy, written as synthesized-kernel DECODEs. True for a
    model with generated kernels that synthesis defines (a ``compress``-ed model's kernels are
    stored, not generated).

    Raises:
        TpwError: (one line) boot / lazy of a model whose generated kernels are wired or
            activated otherwise than synthesis defines
            (``tpw_export.synthesis.synthesis_parts``), checked before training.
    """
    generated = [layer for layer in expanded_layers(model) if layer.stored_kind == "generated"]
    if not generated or compress is not None:
        return False
    for layer in generated:
        try:
            synthesis_parts(layer, bits=bits)
        except ExportError as error:
            if schedule == "baked":
                return False
            raise TpwError(f"--schedule {schedule}: {error}") from error
    return True


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


def calibration_subset(split: data.Split, seed: int) -> np.ndarray:
    """A fixed, shuffled subset of the training windows, so every class calibrates."""
    order = np.random.default_rng(seed).permutation(len(split))[:CALIBRATION_WINDOWS]
    return split.x[np.sort(order)]


def loader_options(dataset: str, model_name: str, options: dict | None) -> dict:
    """``options`` for ``dataset``'s loader, plus ``features="hrv"`` when the model reads HRV features
    and the loader makes them (from the record's reference beats, or detection over the whole record:
    more faithful than detection inside each window) and the options do not choose."""
    options = dict(options or {})
    if input_features(model_name) == "hrv" and "features" in data.option_names(dataset):
        options.setdefault("features", "hrv")
    return options


def run(*, dataset: str, model_name: str = "hypertinypw", epochs: int | None = None, seed: int = 0, bits: int = 8,
        data_dir: str | None = None, checkpoint: Path | None = None, progress: bool = True,
        model_config: dict | None = None, dataset_options: dict | None = None,
        compress: str | None = None, qat: bool = False, schedule: str = "baked",
        recipe: dict | None = None) -> tuple[Exported, data.Dataset]:
    """Load the data, train (or load) a model, :func:`export_model` it and check parity.

    ``dataset_options`` are passed to :func:`tpw_tf.data.load` (e.g. ``split``, ``folds``),
    ``model_config`` to the zoo's builder, ``recipe`` to the training loop; ``epochs``,
    ``model_config`` and ``recipe`` go over the dataset's defaults
    (:data:`tpw_tf.train.recipe.DATASET_DEFAULTS`). All are recorded in the ledger. ``compress``
    and ``qat`` fine-tune on the training split, ``schedule`` picks the written file
    (see :func:`export_model`).

    Raises:
        ExportError: TFLM and tf.lite's reference kernels disagree on a test window (named
            with the first op that diverges); TpwError for bad data, options or checkpoint.
    """
    # A bad checkpoint is refused before the dataset loads (which may download it).
    model = None if checkpoint is None else load_checkpoint(checkpoint)
    ds = data.load(dataset, data_dir=data_dir, **loader_options(dataset, model_name, dataset_options))
    if input_features(model_name) == "hrv" and ds.info.get("features") != "hrv":
        ds = hrv.hrv_features(ds)
    train_split = ds.require("train")
    if checkpoint is not None:
        check_checkpoint(model, checkpoint, ds.input_shape, ds.num_classes)
    else:
        model_config = dataset_model_config(dataset, model_name, model_config)
        train.seed_everything(seed)
        model = build_model(model_name, ds.input_shape, ds.num_classes, **model_config)
    check_schedule(model, schedule, compress, bits)  # before the long work
    recipe = dataset_recipe(ds.name, **(recipe or {}))
    epochs = defaults_for(ds.name).epochs if epochs is None else epochs
    if checkpoint is None:
        model = train.train(model, ds, epochs=epochs, seed=seed, progress=progress, **recipe)
    exported = export_model(model, calibration_subset(train_split, seed), bits=bits, compress=compress,
                            qat=qat, fine_tune=(train_split.x, train_split.y), schedule=schedule)
    check_name = "test" if len(ds.splits["test"]) else "train"
    check_split = ds.splits[check_name]
    parity = {"split": check_name,
              **check_parity(exported.flatbuffer, exported.baked, check_split.x, check_split.y,
                             lite_flatbuffer=exported.converted,
                             decoded=None if exported.synthesized else exported.decoded and exported.decoded.flatbuffer)}
    if exported.synthesized:
        parity["decoded_mismatched_windows"] = runtime_mismatches(exported.flatbuffer, exported.file, check_split.x)
    if parity["mismatched_windows"]:
        where = parity["first_divergence"]
        raise ExportError(f"parity: TFLM and tf.lite's reference kernels disagree on "
                          f"{parity['mismatched_windows']} of {parity['windows']} windows"
                          + (f", first at op {where['op']} {where['name']} (by {where['difference']})"
                             if where else ""))
    if parity.get("decoded_mismatched_windows"):
        runner = "our runtime's" if exported.synthesized else "TFLM's"
        raise ExportError(f"parity: {runner} outputs on the {schedule} file (DECODE) differ from TFLM's on the baked "
                          f"file on {parity['decoded_mismatched_windows']} of {parity['windows']} windows")
    exported.extra.update(dataset=dataset, dataset_options=dict(dataset_options or {}),
                          model_config=dict(model_config or {}),
                          **({} if checkpoint is not None else {"recipe": recipe, "epochs": epochs}), parity=parity)
    return exported, ds
