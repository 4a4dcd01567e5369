"""Slimming keeps TFLM's outputs and drops what TFLM does not read, read back with
tf.lite's own schema (not the model editor that wrote it)."""
import numpy as np
import pytest
from tensorflow.lite.python import schema_py_generated as schema

from tpw_export.bake import bake
from tpw_export.convert import convert
from tpw_export.slim import slim
from tpw_export.tflm import quantize_inputs, run_tflite, run_tflm


@pytest.fixture(scope="module")
def files(small_models, windows):
    converted = convert(bake(small_models["shared_basis"]), windows)
    return converted, slim(converted)


def quantizations(flatbuffer: bytes) -> list:
    graph = schema.Model.GetRootAsModel(flatbuffer, 0).Subgraphs(0)
    return [graph.Tensors(i).Quantization() for i in range(graph.TensorsLength())]


def test_tflm_gives_the_converter_files_outputs(files, windows):
    converted, slimmed = files
    x = quantize_inputs(converted, windows)
    reference = run_tflite(converted, x)  # tf.lite refuses the slim file's one-entry zero points
    np.testing.assert_array_equal(run_tflm(converted, x), reference)
    np.testing.assert_array_equal(run_tflm(slimmed, x), reference)


def test_zero_points_min_max_and_metadata_are_gone(files):
    converted, slimmed = files
    assert len(slimmed) < len(converted)
    before = [q for q in quantizations(converted) if q is not None]
    after = [q for q in quantizations(slimmed) if q is not None]
    assert any(q.ZeroPointLength() > 1 for q in before)
    for old, new in zip(before, after):
        assert new.ScaleLength() == old.ScaleLength()
        np.testing.assert_array_equal(new.ScaleAsNumpy(), old.ScaleAsNumpy())
        zero_points = [old.ZeroPoint(j) for j in range(old.ZeroPointLength())]
        expected = [0] if len(zero_points) > 1 and not any(zero_points) else zero_points
        assert [new.ZeroPoint(j) for j in range(new.ZeroPointLength())] == expected
        assert new.MinLength() == new.MaxLength() == 0
    assert schema.Model.GetRootAsModel(converted, 0).MetadataLength() > 0
    assert schema.Model.GetRootAsModel(slimmed, 0).MetadataLength() == 0


def test_every_buffer_is_16_byte_aligned(files):
    """TFLM on device reads int8 / int32 buffers in place; tflite_flatbuffer_align lays them
    on 16-byte boundaries, which the Python flatbuffers builder does not."""
    model = schema.Model.GetRootAsModel(files[1], 0)
    starts = []
    for i in range(model.BuffersLength()):
        buffer = model.Buffers(i)
        if buffer.DataLength():
            starts.append(buffer._tab.Vector(buffer._tab.Offset(4)))  # field 4: data
    assert starts and all(start % 16 == 0 for start in starts)
