"""TFLM's pruning encoding (DECODE type 2), the encoder the ``tflite-micro`` wheel lacks.

The wheel's interpreter decodes it (``kernels/decode_state_prune.cc``), but its
compressor's ``PruningCompressor`` is a stub that raises. The format, read from
that decoder:

* **encoded tensor**: one bit per element of the decoded tensor, in flat (row-major)
  order, most significant bit first (element ``i`` is bit ``7 - i % 8`` of byte
  ``i // 8``); 1 means the element is stored, 0 that it equals its zero point.
  ``ceil(N / 8)`` bytes.
* **ancillary tensor**: the 16-byte DECODE common metadata (byte 0: type 2; byte 1:
  DCM version 1; byte 4: prune format version 1, which the decoder checks
  (``decode_state_prune.h``: ``kDcmVersionOffset = 4``); the rest 0) followed by the
  stored elements, in flat order, as the tensor's own type (int8: one byte each).
* **zero points**: for a per-channel int8 tensor TFLM fills channel ``c``'s pruned
  elements with its zero point ``zp[c]``, the channel axis being the tensor's
  ``quantized_dimension`` (0, or the last axis); otherwise with the single zero
  point. A one-entry zero point over several channels is TFLM's shorthand for
  that value in every channel.

So ``len(encoded) + len(ancillary) = ceil(N / 8) + 16 + nonzero`` bytes for int8.
"""
from __future__ import annotations

import numpy as np

from tflite_micro.tensorflow.lite.micro.compression import compressor, decode, model_editor
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as tflite

# Byte 4 of the header, the first user byte: the prune format's version.
_PRUNE_VERSION = 1


def element_zero_points(tensor: model_editor.Tensor) -> np.ndarray:
    """The zero point TFLM fills each element of ``tensor`` with, shaped like it.

    Raises:
        CompressionError: more than one zero point that is not one per channel.
    """
    shape = tuple(tensor.shape)
    q = tensor.quantization
    zeros = [0] if q is None else ([q.zero_points] if isinstance(q.zero_points, int) else list(q.zero_points))
    if len(zeros) == 1:
        return np.full(shape, zeros[0], np.int64)
    axis = q.axis or 0
    if axis not in (0, len(shape) - 1):  # decode_state_prune.cc refuses any other axis
        raise compressor.CompressionError(f"TFLM prune-decodes channels on the first or last axis, not {axis}")
    if len(zeros) != shape[axis]:
        raise compressor.CompressionError(f"{len(zeros)} zero points for {shape[axis]} channels on axis {axis}")
    view = [1] * len(shape)
    view[axis] = len(zeros)
    return np.broadcast_to(np.asarray(zeros, np.int64).reshape(view), shape)


def encode(values: np.ndarray, zero_points: np.ndarray) -> compressor.CompressionResult:
    """Encode int8 ``values`` (any shape) against ``zero_points`` (same shape).

    Returns:
        The presence bitmap as ``encoded_data`` and DCM + stored values as
        ``ancillary_data`` (byte layout in the module docstring).
    """
    present = (values.astype(np.int64) != zero_points).ravel()
    bitmap = np.packbits(present, bitorder="big").tobytes()  # element 0 is bit 7 of byte 0
    header = decode.DecodeCommonMetadata(decode_type=decode.DecodeType.PRUNING,
                                         user_data=bytes([_PRUNE_VERSION])).to_bytes()
    stored = values.ravel()[present].astype(np.int8).tobytes()
    return compressor.CompressionResult(encoded_data=bitmap, ancillary_data=header + stored)


class PruneCompressor(compressor.Compressor):
    """The wheel's compressor protocol for int8 tensors: what its stub would be."""

    @property
    def decode_type(self) -> decode.DecodeType:
        return decode.DecodeType.PRUNING

    def compress(self, tensor: model_editor.Tensor, method=None) -> compressor.CompressionResult:
        """Prune-encode an int8 constant ``tensor`` of the wheel's model editor.

        Raises:
            CompressionError: no data, or not int8 (the per-channel fill TFLM
                implements is int8's; other types would need a zero point of 0).
        """
        if tensor.array is None:
            raise compressor.CompressionError("tensor has no data to compress")
        if tensor.dtype != tflite.TensorType.INT8:
            raise compressor.CompressionError(f"prune encoding takes int8 tensors, got type {tensor.dtype}")
        return encode(tensor.array, element_zero_points(tensor))
