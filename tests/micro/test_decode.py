"""DECODE (TFLM's compressed tensors) in our runtime, bit for bit against the wheel's interpreter.

LUT files come from the wheel's own ``compress()`` on converted Keras models,
per channel (conv kernels along axis 0, depthwise kernels along the last axis,
int32 biases) and per tensor (a model converted without per-channel weights),
at every index width 1-7; pruned files from decode_files.prune_file (the wheel
has no pruning encoder). Malformed ancillary data must be refused, naming the
tensor.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras
from tf_keras import layers
from tflite_micro.tensorflow.lite.micro.compression import spec
from tflite_micro.tensorflow.lite.micro.compression.compress import compress

import decode_files
import micro_parity
from tpw_export.native_io import captured_fd
from tpw_micro import host_runtime
from tpw_micro.errors import MicroError

SHAPE = (1, 40, 8)


def _model(seed: int) -> keras.Model:
    """conv (two values in all: 1-bit tables per tensor and per channel; half its biases 0)
    -> depthwise (five levels a channel) -> 1x1 conv (half zero), so pruning has work."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    inputs = keras.Input(SHAPE, batch_size=1)
    x = layers.Conv2D(16, (1, 3), padding="same", activation="relu")(inputs)
    x = layers.DepthwiseConv2D((1, 3), padding="same")(x)
    x = layers.Conv2D(4, 1)(x)
    model = keras.Model(inputs, x)
    conv_a, depthwise, conv_b = (layer for layer in model.layers if layer.weights)
    bias = rng.normal(0, 0.1, 16) * (rng.random(16) < 0.5)
    conv_a.set_weights([rng.choice([-0.5, 0.5], (1, 3, 8, 16)), bias])
    levels = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (1, 3, 16, 1)) * rng.uniform(0.2, 1.0, (1, 1, 16, 1))
    depthwise.set_weights([levels, rng.normal(0, 0.1, 16)])
    kernel = rng.normal(0, 0.5, (1, 1, 16, 4)) * (rng.random((1, 1, 16, 4)) < 0.5)
    conv_b.set_weights([kernel, rng.normal(0, 0.1, 4)])
    return model


def _convert(model: keras.Model, *, per_channel: bool) -> bytes:
    rng = np.random.default_rng(0)
    calibration = [[rng.normal(0, 1, (1, *SHAPE)).astype(np.float32)] for _ in range(16)]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: iter(calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    # The wheel decodes one LUT per scale, so per-tensor tables need per-tensor weights.
    converter._experimental_disable_per_channel = not per_channel
    with captured_fd(2):
        return converter.convert()


@pytest.fixture(scope="module")
def per_channel() -> bytes:
    return _convert(_model(3), per_channel=True)


@pytest.fixture(scope="module")
def per_tensor() -> bytes:
    return _convert(_model(4), per_channel=False)


@pytest.fixture(scope="module")
def inputs(per_channel) -> list[np.ndarray]:
    return micro_parity.random_inputs(per_channel, 8, seed=5)


def _assert_parity(flatbuffer: bytes, inputs: list[np.ndarray]) -> None:
    assert decode_files.decode_count(flatbuffer) > 0
    assert micro_parity.compare(flatbuffer, inputs, ["output"]) == []


@pytest.mark.parametrize("bits", range(1, 8))
def test_lut_per_channel_equals_tflm(per_channel, inputs, bits):
    _assert_parity(decode_files.lut_file(per_channel, bits, per_channel=True), inputs)


@pytest.mark.parametrize("bits", range(1, 8))
def test_lut_per_tensor_equals_tflm(per_tensor, inputs, bits):
    _assert_parity(decode_files.lut_file(per_tensor, bits, per_channel=False), inputs)


def test_lut_per_channel_covers_both_axes_and_int32(per_channel):
    """The 7-bit file decodes kernels along axis 0 and along the last axis, and int32 biases."""
    compressed = {(decode_files.scale_count(t), t.quantization.axis, t.array.dtype.name)
                  for index, t in decode_files.constants(per_channel)
                  if any(s.tensor == index for s in decode_files.lut_specs(per_channel, 7, per_channel=True))}
    assert {axis for _, axis, _ in compressed} == {0, 3}
    assert {"int8", "int32"} <= {dtype for _, _, dtype in compressed}


@pytest.mark.parametrize("model", ["per_channel", "per_tensor"])
def test_pruned_equals_tflm(request, inputs, model):
    flatbuffer = request.getfixturevalue(model)
    _assert_parity(decode_files.prune_file(flatbuffer), inputs)


def test_decoded_and_uncompressed_files_agree(per_channel, inputs):
    """Decoding restores the very kernels: outputs equal the uncompressed file's."""
    ours = host_runtime.run(decode_files.lut_file(per_channel, 4, per_channel=True), inputs)
    assert np.array_equal(ours[0], host_runtime.run(per_channel, inputs)[0])
    assert np.array_equal(host_runtime.run(decode_files.prune_file(per_channel), inputs)[0], ours[0])


def _set(position: int, value: int):
    def edit(data: bytearray) -> bytearray:
        data[position] = value
        return data
    return edit


MALFORMED = {
    "short_tables": (dict(ancillary=lambda d: d[:-1]), "value tables of"),
    "zero_bits": (dict(ancillary=_set(5, 0xF0)), "LUT index width 0 bits, expected 1-7"),
    "stride_zero": (dict(ancillary=_set(6, 0)), "is outside its value table of 0"),
    "short_indices": (dict(encoded=lambda d: d[:-1]), "bits need"),
    "short_dcm": (dict(ancillary=lambda d: d[:10]), "shorter than the 16-byte DCM"),
    "version": (dict(ancillary=_set(1, 2)), "DCM version 2, expected 1"),
    "lut_version": (dict(ancillary=_set(4, 0)), "decode type version 0 in DCM byte 4, expected 1"),
    "huffman": (dict(ancillary=_set(0, 1)), "Huffman decoding is not supported"),
    "custom_type": (dict(ancillary=_set(0, 200)), "decode type 200, expected 0 (LUT)"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_lut_is_refused_naming_the_tensor(per_channel, inputs, case):
    edits, expected = MALFORMED[case]
    flatbuffer = decode_files.edit_first_decode(decode_files.lut_file(per_channel, 3, per_channel=True), **edits)
    with pytest.raises(MicroError, match=rf"DECODE \(node \d+\): tensor \d+: .*{re.escape(expected)}"):
        host_runtime.run(flatbuffer, inputs)


def test_per_tensor_table_under_per_channel_scales_is_refused(per_channel, inputs):
    """The wheel steps to a next table for each scale and reads past the one it was
    given (its outputs then differ from the uncompressed file's): refused here."""
    index = next(i for i, t in decode_files.constants(per_channel)
                 if decode_files.scale_count(t) > 1 and t.array.dtype == np.int8)
    table = spec.LookUpTableCompression(7, spec.PerTensor())
    with captured_fd(2):
        flatbuffer = bytes(compress(per_channel, [spec.Tensor(0, index, [table])]))
    with pytest.raises(MicroError, match=r"ancillary data has \d+ bytes, \d+ value tables of \d+ elements need"):
        host_runtime.run(flatbuffer, inputs)


@pytest.mark.parametrize("edits, expected", [
    (dict(ancillary=lambda d: d[:-1]), "kept values need"),
    (dict(encoded=lambda d: d[:-1]), "encoded mask has"),
])
def test_malformed_pruning_is_refused_naming_the_tensor(per_channel, inputs, edits, expected):
    flatbuffer = decode_files.edit_first_decode(decode_files.prune_file(per_channel), **edits)
    with pytest.raises(MicroError, match=rf"DECODE \(node \d+\): tensor \d+: .*{re.escape(expected)}"):
        host_runtime.run(flatbuffer, inputs)
