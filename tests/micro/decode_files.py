"""Compressed (DECODE) files for the runtime's tests and fuzz seeds, made with the wheel's tools.

LUT files are the wheel's own ``compress()``. The wheel has no pruning encoder,
so ``prune_file`` writes TFLM's pruning format (a most-significant-bit-first
mask, then the kept values after the DCM) and lets the wheel's
``decode_insert`` add the DECODE operators, as ``compress()`` does.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np
from tflite_micro.tensorflow.lite.micro.compression import compressor, decode, decode_insert, lut, model_editor, spec
from tflite_micro.tensorflow.lite.micro.compression.compress import compress
from tflite_micro.tensorflow.lite.micro.tools import tflite_flatbuffer_align_wrapper

from tpw_export.native_io import captured_fd


def constants(flatbuffer: bytes):
    """(index, tensor) of every quantized constant an operator reads: the kernels and
    biases (shapes, paddings and other unquantized operands stay as they are)."""
    subgraph = model_editor.read(flatbuffer).subgraphs[0]
    read = {id(t) for op in subgraph.operators for t in op.inputs}
    return [(i, t) for i, t in enumerate(subgraph.tensors)
            if id(t) in read and t.buffer is not None and len(t.buffer) > 0 and scale_count(t) > 0]


def scale_count(tensor) -> int:
    return len(tensor.quantization.scales) if tensor.quantization is not None else 0


def lut_specs(flatbuffer: bytes, bits: int, *, per_channel: bool) -> list[spec.Tensor]:
    """A LUT spec of `bits` for every constant whose tables fit; per channel along its quantized axis."""
    specs = []
    for index, tensor in constants(flatbuffer):
        axis = tensor.quantization.axis if per_channel else None
        if per_channel != (scale_count(tensor) > 1) or (per_channel and axis is None):
            continue
        if lut.compress_array(tensor.array, axis).index_bitwidth > bits:
            continue
        mode = spec.PerChannel(axis) if per_channel else spec.PerTensor()
        specs.append(spec.Tensor(0, index, [spec.LookUpTableCompression(bits, mode)]))
    return specs


def lut_file(flatbuffer: bytes, bits: int, *, per_channel: bool) -> bytes:
    specs = lut_specs(flatbuffer, bits, per_channel=per_channel)
    assert specs, f"no tensor fits {bits}-bit tables"
    with captured_fd(2):  # the wheel warns on stderr about tables wider than needed
        return bytes(compress(flatbuffer, specs))


def prune_result(tensor) -> compressor.CompressionResult:
    """The pruning encoding TFLM's decoder reads: a mask bit per element (1 = kept),
    then the kept values in element order after the DCM."""
    values = tensor.array
    zero_points = np.asarray(tensor.quantization.zero_points or [0])
    axis = tensor.quantization.axis if scale_count(tensor) > 1 else None
    # One zero point per channel along the quantized axis, or one for all.
    channel_zero = zero_points.reshape([-1 if d == axis else 1 for d in range(values.ndim)])
    kept = (values != channel_zero).ravel()
    # Byte 4 (the first of the type's bytes) is the pruning format's version, 1.
    dcm = decode.DecodeCommonMetadata(decode_type=decode.DecodeType.PRUNING, user_data=b"\x01").to_bytes()
    return compressor.CompressionResult(encoded_data=np.packbits(kept).tobytes(),
                                        ancillary_data=dcm + values.ravel()[kept].tobytes())


def prune_file(flatbuffer: bytes) -> bytes:
    """Every constant kernel and bias pruned, DECODE operators inserted by the wheel."""
    model = model_editor.read(flatbuffer)
    tensors = model.subgraphs[0].tensors
    results = {(0, index): prune_result(tensors[index]) for index, _ in constants(flatbuffer)}
    decode_insert.insert_decode_operators(model, results)
    return aligned(model)


def aligned(model) -> bytes:
    """model_editor's bytes with TFLM's buffer alignment, through the wheel's aligner."""
    with tempfile.TemporaryDirectory() as folder:
        unaligned, aligned = os.path.join(folder, "in.tflite"), os.path.join(folder, "out.tflite")
        with open(unaligned, "wb") as f:
            f.write(bytes(model.build()))
        tflite_flatbuffer_align_wrapper.align_tflite_model(unaligned, aligned)
        with open(aligned, "rb") as f:
            return f.read()


def decode_count(flatbuffer: bytes) -> int:
    operators = model_editor.read(flatbuffer).subgraphs[0].operators
    return sum(op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME for op in operators)


def edit_first_decode(flatbuffer: bytes, *, ancillary=None, encoded=None) -> bytes:
    """The file with the first DECODE's ancillary and/or encoded bytes rewritten by the
    given functions (bytearray -> bytearray), for malformed-data tests."""
    model = model_editor.read(flatbuffer)
    op = next(op for op in model.subgraphs[0].operators if op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME)
    for tensor, edit in ((op.inputs[1], ancillary), (op.inputs[0], encoded)):
        if edit is not None:
            data = edit(bytearray(bytes(tensor.buffer.data)))
            tensor.buffer = model_editor.Buffer(data=bytes(data))
            tensor.shape = (len(data),)
    return aligned(model)
