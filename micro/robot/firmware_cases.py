"""Firmware test cases: small INT8 models, int8 inputs and TFLM's outputs for them.

Used as a Robot Framework library by the suites in this folder (it needs no
simulator, so it serves Renode's ``renode-test`` as well) and imported by
``tests/firmware``. Each case is built once per build folder:

    <build>/cases/<name>/model.tflite   the INT8 flatbuffer (tpw_export.convert)
    <build>/cases/<name>/inputs.npy     int8 (N, 1, T, C) inputs
    <build>/cases/<name>/expected.npy   TFLM's int8 outputs, (N, classes); absent
                                        for a case the runtime must refuse
    <build>/cases/<name>/baked.tflite   a boot / lazy case's baked file: TFLM runs it
                                        for expected.npy when the case synthesizes its
                                        kernels (type-128 DECODE, which TFLM lacks)
    <build>/cases/<name>/firmware.elf   -> the harness ELF (tpw_micro.firmware)

``scripts/test_firmware.sh`` removes ``<build>/cases`` first, so CI never
reuses a case built by older code.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpw_micro import firmware
from tpw_micro.build import build_dir

INPUTS_PER_CASE = 3
_SEED = 1234


@dataclass(frozen=True)
class Spec:
    """How to build one case's Keras model (a zoo model unless ``zoo`` is None)."""

    zoo: str | None
    input_shape: tuple[int, int, int]
    num_classes: int
    config: dict
    refused: bool = False  # the runtime must report an error status for it
    schedule: str = "baked"  # boot / lazy: the file tpw-export --schedule writes, with DECODEs


_SMALL = dict(width=8, depth=2, stem_filters=8, kernel_size=5, downsample_blocks=1)
_GENERATED = dict(_SMALL, depth=3)
SPECS = {
    # stem + 2 DW/PW blocks: CONV_2D, DEPTHWISE_CONV_2D, MEAN, FULLY_CONNECTED, SOFTMAX
    "separable": Spec("tiny_separable_cnn", (1, 128, 2), 3, _SMALL),
    # the product: generated pointwise kernels, baked before conversion
    "hypertinypw": Spec("hypertinypw", (1, 128, 2), 3, _GENERATED),
    # its kernels synthesized by type-128 DECODEs once at AllocateTensors / before each layer
    "hypertinypw_boot": Spec("hypertinypw", (1, 128, 2), 3, _GENERATED, schedule="boot"),
    "hypertinypw_lazy": Spec("hypertinypw", (1, 128, 2), 3, _GENERATED, schedule="lazy"),
    # ternary pointwise kernels as TFLM's 2-bit per-channel LUT DECODEs, which stock TFLM runs
    "ternary_lut": Spec("ternary_cnn", (1, 128, 2), 3, dict(_SMALL, width=24), schedule="boot"),
    # TANH is a builtin INT8 op that TFLM runs and our runtime does not implement
    "unsupported_tanh": Spec(None, (1, 16, 2), 3, {}, refused=True),
}


def _tanh_model(spec: Spec):
    import tf_keras as keras

    inputs = keras.Input(shape=spec.input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(8, activation="tanh")(x)
    return keras.Model(inputs, keras.layers.Dense(spec.num_classes, activation="softmax")(x))


def _keras_model(spec: Spec):
    """The case's float Keras model, deterministic for the fixed seed."""
    import tpw_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
    import tf_keras as keras
    from tpw_tf.models import build_model

    keras.utils.set_random_seed(_SEED)
    if spec.zoo is None:
        return _tanh_model(spec)
    return build_model(spec.zoo, spec.input_shape, spec.num_classes, **spec.config)


def _materialize(name: str, folder: Path) -> None:
    """Write ``model.tflite``, ``inputs.npy`` (and ``expected.npy``, ``baked.tflite``) of case
    ``name`` to ``folder``; a boot / lazy case without a DECODE operator is an error."""
    from tpw_export.convert import operators
    from tpw_export.pipeline import export_model
    from tpw_export.tflm import quantize_inputs, run_tflm

    spec = SPECS[name]
    rng = np.random.default_rng(_SEED)
    calibration = rng.normal(size=(32, *spec.input_shape)).astype(np.float32)
    exported = export_model(_keras_model(spec), calibration, schedule=spec.schedule)
    if spec.schedule != "baked":
        if not any(op["op_name"] == "TFLM_DECODE" for op in operators(exported.file)):
            raise ValueError(f"firmware case '{name}': its {spec.schedule} file has no DECODE operator")
        (folder / "baked.tflite").write_bytes(exported.flatbuffer)
    windows = rng.normal(size=(INPUTS_PER_CASE, *spec.input_shape)).astype(np.float32)
    inputs = quantize_inputs(exported.flatbuffer, windows)  # the same input tensor in every schedule
    (folder / "model.tflite").write_bytes(exported.file)
    np.save(folder / "inputs.npy", inputs)
    if not spec.refused:
        reference = exported.flatbuffer if exported.synthesized else exported.file
        np.save(folder / "expected.npy", run_tflm(reference, inputs))


@dataclass(frozen=True)
class Case:
    """A built case: its files and the harness ELF built from them."""

    name: str
    folder: Path
    refused: bool

    @property
    def model_bytes(self) -> bytes:
        return (self.folder / "model.tflite").read_bytes()

    @property
    def baked_bytes(self) -> bytes:
        """A boot / lazy case's baked file (the same model, no DECODE)."""
        return (self.folder / "baked.tflite").read_bytes()

    @property
    def inputs(self) -> np.ndarray:
        return np.load(self.folder / "inputs.npy")

    @property
    def expected(self) -> np.ndarray:
        return np.load(self.folder / "expected.npy")

    @property
    def elf(self) -> Path:
        return firmware.build_firmware(self.model_bytes, self.inputs)


def case(name: str) -> Case:
    """Case ``name`` (one of ``SPECS``), building its files on first use."""
    if name not in SPECS:
        raise ValueError(f"unknown firmware case '{name}': choose one of {', '.join(SPECS)}")
    folder = build_dir() / "cases" / name
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{name}."))
        try:
            _materialize(name, staging)
            os.replace(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Case(name, folder, SPECS[name].refused)


def out_line(index: int, values) -> str:
    """The harness's ``TPW OUT`` line for output ``index`` with int8 ``values``."""
    return f"TPW OUT {index} " + ",".join(str(int(v)) for v in np.ravel(values))


class firmware_cases:
    """Robot Framework keywords over the cases (library name = this module)."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def build_firmware_for_case(self, name: str) -> str:
        """Build case ``name`` and its harness ELF; returns the ELF path."""
        return str(case(name).elf)

    def number_of_inputs_for_case(self, name: str) -> int:
        return len(case(name).inputs)

    def expected_output_line(self, name: str, index) -> str:
        """The ``TPW OUT`` line TFLM's output for input ``index`` of case ``name`` gives."""
        return out_line(int(index), case(name).expected[int(index)])
