"""DECODE type 128 (a synthesized kernel) in our runtime: the boot and lazy files of a generated
model give, bit for bit, TFLM's outputs on the baked file, for every head mode and --bits, and
use the arena as their schedules say.

The baked file is ``bake(..., device_grid=True)`` converted; the boot and lazy files are
``synth_boot.synthesized_file`` of it, whose generated kernels our runtime synthesizes from
the packed generator side (``tpw_export.synthesis``): once at AllocateTensors into
persistent memory (boot), or before each layer at every Invoke into planned memory (lazy).
"""
from __future__ import annotations

import functools
import re
import shutil
import struct

import numpy as np
import pytest
import tf_keras as keras
from tflite_micro.tensorflow.lite.micro.compression import decode_insert, model_editor

import micro_parity
from decode_files import edit_first_decode
import tpw_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
from tpw_export.bake import bake
from tpw_export.convert import convert
from tpw_export.slim import align
from tpw_export.bake import expanded_layers
from tpw_export.synth_boot import synthesized_file
from tpw_micro import host_runtime
from tpw_micro.errors import MicroError
from tpw_tf.models import build_model

SAMPLES = 96
# Odd widths and generator sizes, so no dimension is a power of two or a byte of codes.
ODD = dict(width=7, depth=4, stem_filters=5, d_z=3, d_h=5, hidden_units=6, rank=3, kernel_size=5,
           downsample_blocks=2)
HEADS = ("full", "factorized", "shared_basis")
SCHEDULES = ("boot", "lazy")


def _trained_looking(model: keras.Model, seed: int) -> keras.Model:
    """BatchNorm statistics as training leaves them, some scales negative: the converter
    folds a negative multiplier into the kernel, which the boot file must reproduce."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            gamma = rng.uniform(0.5, 1.5, n) * rng.choice([-1.0, 1.0], n)
            layer.set_weights([gamma, rng.normal(0, 0.1, n), rng.normal(0, 0.1, n), rng.uniform(0.5, 1.5, n)])
    return model


@functools.cache
def model_and_files(head: str, bits: int, samples: int = SAMPLES, **config) -> tuple[keras.Model, dict[str, bytes]]:
    """One small hypertinypw on ``(1, samples, 1)`` windows (``ODD`` updated by ``config``) and its
    ``{"baked": ..., "boot": ..., "lazy": ...}`` files."""
    keras.utils.set_random_seed(5)
    shape = (1, samples, 1)
    model = _trained_looking(build_model("hypertinypw", shape, 3, **{**ODD, "head": head, **config}), 5)
    windows = np.random.default_rng(1).standard_normal((32, *shape)).astype(np.float32)
    baked = convert(bake(model, bits=bits, device_grid=True), windows)
    return model, {"baked": baked, **{s: synthesized_file(model, baked, bits=bits, schedule=s) for s in SCHEDULES}}


def files(head: str, bits: int, **config) -> dict[str, bytes]:
    return model_and_files(head, bits, **config)[1]


def _inputs(flatbuffer: bytes) -> list[np.ndarray]:
    return micro_parity.random_inputs(flatbuffer, 6, seed=2)


def _assert_synthesized_equals_tflm_on_baked(baked: bytes, synthesized: bytes):
    inputs = _inputs(baked)
    expected = micro_parity.run_tflm(baked, inputs)
    got = host_runtime.run(synthesized, inputs)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("bits", (4, 6, 8))
@pytest.mark.parametrize("head", HEADS)
def test_synthesized_file_equals_tflm_on_the_baked_file(head, bits, schedule):
    generated = files(head, bits)
    _assert_synthesized_equals_tflm_on_baked(generated["baked"], generated[schedule])


def test_boot_and_lazy_files_differ_in_the_schedule_byte_only():
    generated = files("factorized", 6)
    boot, lazy = generated["boot"], generated["lazy"]
    assert len(boot) == len(lazy)
    differing = [i for i in range(len(boot)) if boot[i] != lazy[i]]
    ancillary = model_editor.read(boot).subgraphs[0].operators
    flags = {bytes(op.inputs[1].buffer.data)[7] for op in ancillary
             if op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME}
    assert flags == {1} and len(differing) >= 1 and all(boot[i] == 1 and lazy[i] == 0 for i in differing)


DEEP = dict(depth=11, width=32)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_a_depth_11_model_synthesizes_ten_kernels_bit_exactly(schedule):
    generated = files("shared_basis", 4, **DEEP)
    decodes = [op for op in model_editor.read(generated[schedule]).subgraphs[0].operators
               if op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME]
    assert len(decodes) == 10
    _assert_synthesized_equals_tflm_on_baked(generated["baked"], generated[schedule])


def test_shared_basis_boot_file_is_smaller_than_the_baked_file():
    """Ten 32x32 kernels from one shared projection at 4 bits: the generator side is the smaller."""
    generated = files("shared_basis", 4, **DEEP)
    assert len(generated["boot"]) < len(generated["baked"])


def _aligned(size: int) -> int:
    return -(-size // 8) * 8  # the arena's 8-byte alignment (arena_allocator.h)


@pytest.mark.parametrize("head", HEADS)
def test_boot_keeps_every_kernel_lazy_one_at_a_time(head):
    """Arena, planned head (activations, decoded tensors, scratch) and persistent tail apart:
    boot's tail holds every generated kernel and its head is the baked file's; lazy plans the
    kernels with the activations, so its head grows by at most one kernel and one synthesis
    scratch (floats: hidden layer, d_h, r, max(Cin, d_z)), not by their sum.
    On 512-sample windows, so the activations outweigh the planner's own records."""
    model, generated = model_and_files(head, 4, 512, **DEEP)
    info = {name: host_runtime.describe(f) for name, f in generated.items()}
    tail = {name: i.arena_persistent_bytes for name, i in info.items()}
    head_bytes = {name: i.arena_used_bytes - i.arena_persistent_bytes for name, i in info.items()}
    layers = expanded_layers(model)
    kernels = [_aligned(layer.in_channels * layer.filters) for layer in layers]
    cfg = {**ODD, **DEEP}
    rank = cfg["rank"] if head == "factorized" else 0
    scratch = max(_aligned(4 * (cfg["hidden_units"] + cfg["d_h"] + rank + max(layer.in_channels, cfg["d_z"])))
                  for layer in layers)
    assert len(kernels) == 10
    assert tail["boot"] - tail["lazy"] == sum(kernels)
    assert head_bytes["boot"] == head_bytes["baked"]
    assert head_bytes["baked"] <= head_bytes["lazy"] <= head_bytes["baked"] + max(kernels) + scratch
    assert info["lazy"].arena_used_bytes < info["boot"].arena_used_bytes


_FIRMWARE_TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm", "xxd", "make")


@pytest.mark.skipif(any(shutil.which(tool) is None for tool in _FIRMWARE_TOOLS) or host_runtime.sanitized(),
                    reason="needs the firmware toolchain and QEMU; runs once, not again on the sanitizer build")
def test_on_the_device_boot_synthesizes_at_setup_and_lazy_at_every_inference():
    """Exact QEMU instruction counts of the depth-11 model on the STM32L4 firmware: boot's
    inference costs the baked file's plus ten no-op DECODEs (at most 100 instructions each),
    its setup (AllocateTensors) pays the synthesis; lazy pays that synthesis at every
    inference instead. All three give TFLM's outputs."""
    from tpw_micro import firmware

    generated = files("shared_basis", 4, **DEEP)
    x = _inputs(generated["baked"])[0][:2]
    runs = {name: firmware.run_firmware(f, x) for name, f in generated.items()}
    expected = micro_parity.run_tflm(generated["baked"], [x])[0].reshape(len(x), -1)
    for run in runs.values():
        np.testing.assert_array_equal(np.array(run["outputs"], np.int8), expected)
    per_inference = {name: max(run["instructions_per_inference"]) for name, run in runs.items()}
    setup = {name: run["boot_instructions"] for name, run in runs.items()}
    assert per_inference["baked"] < per_inference["boot"] <= per_inference["baked"] + 10 * 100
    synthesis = setup["boot"] - setup["baked"]
    assert synthesis > 2 * per_inference["baked"]  # ten 32x32 kernels cost more than an inference
    # Lazy's extra work per inference is boot's extra setup, to within the persistent allocations.
    assert per_inference["lazy"] - per_inference["baked"] == pytest.approx(synthesis, rel=0.02)
    assert setup["lazy"] < setup["baked"] + 0.1 * synthesis


def _set(position: int, value: int):
    def edit(data: bytearray) -> bytearray:
        data[position] = value
        return data
    return edit


def _dims(d_z: int, hidden: int, d_h: int, rank: int):
    def edit(data: bytearray) -> bytearray:
        data[8:16] = struct.pack("<4H", d_z, hidden, d_h, rank)
        return data
    return edit


MALFORMED = {
    "short_ancillary": (dict(ancillary=lambda d: d[:-1]), "ancillary data has"),
    "short_encoded": (dict(encoded=lambda d: d[:-1]), "encoded data has"),
    "bits_1": (dict(ancillary=_set(5, 1)), "packed at 1 bits, expected 2-8"),
    "bits_9": (dict(ancillary=_set(5, 9)), "packed at 9 bits, expected 2-8"),
    "head": (dict(ancillary=_set(6, 3)), "head 3, expected 0 (full), 1 (factorized) or 2 (shared_basis)"),
    "version": (dict(ancillary=_set(4, 2)), "decode type version 2 in DCM byte 4, expected 1"),
    "zero_d_h": (dict(ancillary=_dims(3, 6, 0, 3)), "generator dimensions d_z 3, hidden 6, d_h 0, r 3"),
    # A larger latent than the data were written for: the parts no longer fit the bytes.
    "shape_mismatch": (dict(ancillary=_dims(3, 6, 50, 3)), "the synthesized kernel's parts need"),
    "schedule": (dict(ancillary=_set(7, 2)), "schedule 2 in DCM byte 7, expected 0 (lazy) or 1 (boot)"),
}


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_synthesis_data_is_refused_naming_the_tensor(case, schedule):
    """Checked before anything is synthesized, at AllocateTensors for both schedules."""
    edits, expected = MALFORMED[case]
    synthesized = files("factorized", 6)[schedule]
    with pytest.raises(MicroError, match=rf"DECODE \(node \d+\): tensor \d+: .*{re.escape(expected)}"):
        host_runtime.describe(edit_first_decode(synthesized, **edits))


def test_an_output_that_is_not_a_conv_filter_is_refused():
    boot = files("full", 8)["boot"]
    model = model_editor.read(boot)
    op = next(op for op in model.subgraphs[0].operators if op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME)
    out = op.outputs[0]
    out.shape = (out.shape[0], out.shape[3], 1, 1)
    with pytest.raises(MicroError, match=r"tensor \d+: a synthesized kernel is an int8 \(Cout, 1, 1, Cin\) conv filter"):
        host_runtime.run(align(bytes(model.build())), _inputs(boot))
