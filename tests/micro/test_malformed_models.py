"""Malformed flatbuffers give an error status, never a crash or an out-of-bounds read.

Every run goes through the host driver, which exits 1 with the runtime's
message on an error status; any other exit (signal, sanitizer report) makes
host_runtime raise with "(exit N)" and fails these tests.
"""
import struct

import numpy as np
import pytest

import micro_flatbuffer_walk as walk
from tpw_micro import host_runtime
from tpw_tf.errors import TpwError  # the host runtime raises MicroError, a TpwError

FLIPS = 400


def outcome(model: bytes) -> str:
    """"ok" or the runtime's error message; a crash fails the test."""
    try:
        host_runtime.describe(model)
    except TpwError as error:
        assert "(exit" not in str(error), str(error)
        return str(error)
    return "ok"


def test_the_unmodified_model_loads(small_model):
    assert outcome(small_model) == "ok"


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999])
def test_truncated_model_is_an_error(small_model, fraction):
    assert outcome(small_model[:int(len(small_model) * fraction)]) != "ok"


def test_bit_flips_never_crash_and_structural_flips_are_errors(small_model):
    rng = np.random.default_rng(0)
    results = []
    for _ in range(FLIPS):
        corrupted = bytearray(small_model)
        position = int(rng.integers(0, len(corrupted)))
        corrupted[position] ^= 1 << int(rng.integers(0, 8))
        results.append(outcome(bytes(corrupted)))
    # Flips in weights or padding leave a valid model; the rest must be reported.
    assert sum(r != "ok" for r in results) > FLIPS // 10
    # The root offset and file identifier are always checked.
    for position in range(8):
        corrupted = bytearray(small_model)
        corrupted[position] ^= 0x40
        assert outcome(bytes(corrupted)) != "ok"


def test_vector_longer_than_the_buffer_is_an_error(small_model):
    buf = bytearray(small_model)
    subgraph = walk.vector_table(buf, walk.root(buf), walk.MODEL_SUBGRAPHS, 0)
    tensors, _ = walk.vector(buf, subgraph, walk.SUBGRAPH_TENSORS)
    struct.pack_into("<I", buf, tensors, 0x7FFFFFFF)
    assert "vector longer than the buffer" in outcome(bytes(buf))


def test_oversized_tensor_shape_is_an_error(small_model):
    buf = bytearray(small_model)
    subgraph = walk.vector_table(buf, walk.root(buf), walk.MODEL_SUBGRAPHS, 0)
    tensor = walk.vector_table(buf, subgraph, walk.SUBGRAPH_TENSORS, 0)
    shape, rank = walk.vector(buf, tensor, walk.TENSOR_SHAPE)
    assert rank >= 1
    struct.pack_into("<i", buf, shape + 4, 1 << 30)
    message = outcome(bytes(buf))
    assert any(reason in message for reason in ("arena too small", "data bytes", "dimension")), message


def test_arena_smaller_than_needed_is_an_error(small_model):
    used = host_runtime.describe(small_model).arena_used_bytes
    with pytest.raises(TpwError, match="arena too small"):
        host_runtime.describe(small_model, arena_bytes=used // 2)


def test_unsupported_operator_is_named(small_model):
    buf = bytearray(small_model)
    opcode = walk.vector_table(buf, walk.root(buf), walk.MODEL_OPERATOR_CODES, 0)
    tanh = 28
    for index, fmt in ((walk.OPCODE_DEPRECATED_BUILTIN, "<b"), (walk.OPCODE_BUILTIN, "<i")):
        position = walk.field(buf, opcode, index)
        if position is not None:
            struct.pack_into(fmt, buf, position, tanh)
    assert "builtin operator 28 is not supported" in outcome(bytes(buf))


@pytest.mark.parametrize("field", [walk.OPERATOR_INPUTS, walk.OPERATOR_OUTPUTS])
def test_operator_without_its_tensor_list_is_an_error(small_model, field):
    """Found by the fuzzer: an absent vector has no length word to point at."""
    buf = bytearray(small_model)
    subgraph = walk.vector_table(buf, walk.root(buf), walk.MODEL_SUBGRAPHS, 0)
    operator = walk.vector_table(buf, subgraph, walk.SUBGRAPH_OPERATORS, 0)
    walk.drop_field(buf, operator, field)
    assert "expects" in outcome(bytes(buf))


def test_trailing_bytes_after_the_model_are_ignored(small_model):
    """A larger buffer than the model needs is fine: offsets are checked, not the length."""
    assert outcome(small_model + bytes(1000)) == "ok"


def test_a_stride_that_overflows_the_input_offsets_is_an_error():
    """Found by the fuzzer: stride_w 268435457 times 32 channels overflowed an int32 step."""
    import flatbuffers
    import tf_keras as keras
    from tensorflow.lite.python import schema_py_generated as schema

    from tpw_export.convert import convert

    inputs = keras.Input((1, 16, 32))
    model = keras.Model(inputs, keras.layers.Conv2D(4, (1, 3), padding="same")(inputs))
    flatbuffer = convert(model, np.random.default_rng(0).normal(size=(4, 1, 16, 32)).astype(np.float32))
    unpacked = schema.ModelT.InitFromPackedBuf(flatbuffer, 0)
    conv = next(op for op in unpacked.subgraphs[0].operators
                if unpacked.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.CONV_2D)
    conv.builtinOptions.strideW = 268435457
    builder = flatbuffers.Builder(0)
    builder.Finish(unpacked.Pack(builder), file_identifier=b"TFL3")
    assert "offsets overflow" in outcome(bytes(builder.Output()))
