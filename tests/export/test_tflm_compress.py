"""DECODE-compressed files: our pruning encoder's bytes recomputed by hand, and every
compressed file run by the tflite-micro wheel's interpreter with the dense file's outputs."""
import numpy as np
import pytest
from tflite_micro.tensorflow.lite.micro.compression import model_editor

from tpw_export.bake import bake
from tpw_export.convert import convert, operators
from tpw_export.prune_encoding import encode
from tpw_export.slim import slim
from tpw_export.tflm import quantize_inputs, run_tflm
from tpw_export.tflm_compress import compress_for_tflm
from tpw_tf.models import build_model

from conftest import INPUT_SHAPE, perturbed


def test_prune_bytes_by_hand():
    values = np.array([[0, 5, 0, 0, -3, 0, 0, 0, 7], [1, 0, 0, 0, 0, 0, 0, 0, 0]], np.int8)
    zero_points = np.zeros(values.shape, np.int64)
    result = encode(values, zero_points)
    # Element i is bit 7 - i % 8 of byte i // 8: elements 1, 4, 8 and 9 are stored.
    assert result.encoded_data == bytes([0b01001000, 0b11000000, 0b00000000])
    header = bytes([2, 1, 0, 0, 1]) + bytes(11)  # type PRUNING, DCM version 1, prune version 1
    assert result.ancillary_data == header + np.array([5, -3, 7, 1], np.int8).tobytes()


def test_prune_skips_each_channels_zero_point():
    values = np.array([[3, 3, 4], [0, 9, 0]], np.int8)
    zero_points = np.array([[3, 3, 3], [0, 0, 0]])
    result = encode(values, zero_points)
    assert result.encoded_data == bytes([0b00101000]) and result.ancillary_data[16:] == bytes([4, 9])


def pruned_file(flatbuffer: bytes, keep: float, seed: int = 0) -> bytes:
    """``flatbuffer`` with every int8 constant kernel ~``1 - keep`` zeros, as a pruned model's."""
    model = model_editor.read(flatbuffer)
    rng = np.random.default_rng(seed)
    for tensor in model.subgraphs[0].tensors:
        if tensor.buffer is not None and tensor.buffer.data and tensor.array.dtype == np.int8 \
                and tensor.array.size > 64:
            array = np.where(rng.random(tensor.array.shape) < keep, tensor.array, 0).astype(np.int8)
            tensor.buffer = model_editor.Buffer(array.tobytes())
    return slim(bytes(model.build()))


@pytest.fixture(scope="module")
def dense(windows):
    """A default-width plain CNN: its kernels are large enough for DECODE to pay."""
    return slim(convert(perturbed(build_model("tiny_separable_cnn", INPUT_SHAPE, 3)), windows))


def test_pruned_kernels_decode_to_the_dense_files_outputs(dense, windows):
    sparse = pruned_file(dense, keep=0.3)
    result = compress_for_tflm(sparse, encodings=("prune",))
    kinds = {op["op_name"] for op in operators(result.flatbuffer)}
    assert "TFLM_DECODE" in kinds and result.kept and {c.encoding for c in result.kept} == {"prune"}
    # Depthwise kernels carry their channels on the last axis, convolutions on the first.
    assert {c.shape[0] == 1 for c in result.kept} == {True, False}
    assert len(result.flatbuffer) < len(sparse)
    x = quantize_inputs(sparse, windows)
    np.testing.assert_array_equal(run_tflm(result.flatbuffer, x), run_tflm(sparse, x))


def test_ternary_kernels_become_two_bit_luts(windows):
    flatbuffer = slim(convert(bake(perturbed(build_model("ternary_cnn", INPUT_SHAPE, 3))), windows))
    result = compress_for_tflm(flatbuffer, encodings=("lut", "prune"))
    assert {c.encoding for c in result.kept} == {"lut per-channel 2-bit"}
    for choice in result.kept:  # 2-bit indices; a 16-byte header and a 3-entry table a channel
        count = int(np.prod(choice.shape))
        assert choice.encoded_bytes == (count * 2 + 7) // 8
        assert choice.ancillary_bytes == 16 + 3 * choice.shape[0]
    x = quantize_inputs(flatbuffer, windows)
    np.testing.assert_array_equal(run_tflm(result.flatbuffer, x), run_tflm(flatbuffer, x))
    assert len(result.flatbuffer) == len(flatbuffer) - sum(c.file_bytes_saved for c in result.kept)


def test_a_tensor_is_compressed_only_where_the_file_shrinks(dense):
    """Trained-like int8 kernels have many values a channel and few zeros: nothing pays."""
    result = compress_for_tflm(dense, encodings=("lut", "prune"))
    assert result.flatbuffer == dense and not result.kept
    assert all(c.file_bytes_saved <= 0 for c in result.choices)
