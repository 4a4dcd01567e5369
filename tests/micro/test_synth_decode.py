"""DECODE type 128 (a synthesized kernel) in our runtime: the boot file of a generated model
gives, bit for bit, TFLM's outputs on the baked file, for every head mode and --bits.

The baked file is ``bake(..., device_grid=True)`` converted; the boot file is
``synth_boot.synthesized_boot_file`` of it, whose generated kernels our runtime
synthesizes from the packed generator side (``tpw_export.synthesis``).
"""
from __future__ import annotations

import functools
import re
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
from tpw_export.synth_boot import synthesized_boot_file
from tpw_micro import host_runtime
from tpw_micro.errors import MicroError
from tpw_tf.models import build_model

INPUT_SHAPE = (1, 96, 1)
# Odd widths and generator sizes, so no dimension is a power of two or a byte of codes.
ODD = dict(width=7, depth=4, stem_filters=5, d_z=3, d_h=5, hidden_units=6, rank=3, kernel_size=5,
           downsample_blocks=2)
HEADS = ("full", "factorized", "shared_basis")


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
def files(head: str, bits: int, **config) -> tuple[bytes, bytes]:
    """``(baked file, boot file)`` of one small hypertinypw (``ODD`` updated by ``config``)."""
    keras.utils.set_random_seed(5)
    model = _trained_looking(build_model("hypertinypw", INPUT_SHAPE, 3, **{**ODD, "head": head, **config}), 5)
    windows = np.random.default_rng(1).standard_normal((32, *INPUT_SHAPE)).astype(np.float32)
    baked = convert(bake(model, bits=bits, device_grid=True), windows)
    return baked, synthesized_boot_file(model, baked, bits=bits)


def _inputs(flatbuffer: bytes) -> list[np.ndarray]:
    return micro_parity.random_inputs(flatbuffer, 6, seed=2)


def _assert_boot_equals_tflm_on_baked(baked: bytes, boot: bytes):
    inputs = _inputs(baked)
    expected = micro_parity.run_tflm(baked, inputs)
    got = host_runtime.run(boot, inputs)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("bits", (4, 6, 8))
@pytest.mark.parametrize("head", HEADS)
def test_boot_file_equals_tflm_on_the_baked_file(head, bits):
    baked, boot = files(head, bits)
    _assert_boot_equals_tflm_on_baked(baked, boot)


DEEP = dict(depth=11, width=32)


def test_a_depth_11_model_synthesizes_ten_kernels_bit_exactly():
    baked, boot = files("shared_basis", 4, **DEEP)
    decodes = [op for op in model_editor.read(boot).subgraphs[0].operators
               if op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME]
    assert len(decodes) == 10
    _assert_boot_equals_tflm_on_baked(baked, boot)


def test_shared_basis_boot_file_is_smaller_than_the_baked_file():
    """Ten 32x32 kernels from one shared projection at 4 bits: the generator side is the smaller."""
    baked, boot = files("shared_basis", 4, **DEEP)
    assert len(boot) < len(baked)


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
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_synthesis_data_is_refused_naming_the_tensor(case):
    edits, expected = MALFORMED[case]
    _, boot = files("factorized", 6)
    with pytest.raises(MicroError, match=rf"DECODE \(node \d+\): tensor \d+: .*{re.escape(expected)}"):
        host_runtime.run(edit_first_decode(boot, **edits), _inputs(boot))


def test_an_output_that_is_not_a_conv_filter_is_refused():
    _, boot = files("full", 8)
    model = model_editor.read(boot)
    op = next(op for op in model.subgraphs[0].operators if op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME)
    out = op.outputs[0]
    out.shape = (out.shape[0], out.shape[3], 1, 1)
    with pytest.raises(MicroError, match=r"tensor \d+: a synthesized kernel is an int8 \(Cout, 1, 1, Cin\) conv filter"):
        host_runtime.run(align(bytes(model.build())), _inputs(boot))
