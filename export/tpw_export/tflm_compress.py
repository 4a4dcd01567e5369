"""Write the ``boot`` / ``lazy`` schedule as a file stock TFLM runs: DECODE-compressed tensors.

TFLM's compression format (the ``tflite-micro`` wheel's ``compression`` package)
stores a constant tensor encoded, with an ancillary tensor (16-byte header plus
tables), and inserts a ``TFLM_DECODE`` custom operator before each consumer; the
interpreter plans the decoded tensor in its arena and refills it at every Invoke.
Two decode types fit our kernels:

* **LUT** (type 0, the wheel's ``LutCompressor``): ``b``-bit indices (1 <= b <= 7)
  into one value table per tensor or per channel. A ternary kernel has 3 values a
  channel (2 bits), a clustered one at most 16 a tensor (4 bits).
* **pruning** (type 2, :mod:`tpw_export.prune_encoding`): a 1-bit presence map and
  the stored non-zero values.

A tensor is compressed only where that makes the *file* smaller. Each int8 constant
tensor's cheapest encoding (fewest encoded + ancillary bytes) is a candidate; the
candidates are tried in order of their estimated saving and one is kept only if
the rebuilt, re-aligned file is smaller than without it. That measures the whole
cost (DECODE operator, its output tensor, the ancillary tensor, alignment), which an
estimate would not. :class:`Choice` records every candidate, kept or not, for the
ledger.
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

from tpw_export.errors import ExportError
from tpw_export.prune_encoding import PruneCompressor
from tpw_export.slim import align

# Decode types this module writes; ``--compress prune`` adds pruning, LUT always fits.
ENCODINGS = ("lut", "prune")


@dataclass(frozen=True)
class Choice:
    """One candidate tensor.

    Attributes:
        tensor: index in subgraph 0.
        shape: its shape, e.g. ``(Cout, 1, k, Cin)``.
        encoding: ``lut per-tensor 2-bit``, ``lut per-channel 4-bit`` or ``prune``.
        dense_bytes: the int8 buffer it replaces.
        encoded_bytes, ancillary_bytes: the encoded buffer and the ancillary buffer.
        file_bytes_saved: measured change of the file size by compressing it (> 0
            where kept; <= 0 where the DECODE operator and tensors cost more).
        kept: whether the written file compresses it.
    """

    tensor: int
    shape: tuple
    encoding: str
    dense_bytes: int
    encoded_bytes: int
    ancillary_bytes: int
    file_bytes_saved: int
    kept: bool

    def as_dict(self) -> dict:
        return {**asdict(self), "shape": list(self.shape)}


@dataclass(frozen=True)
class TflmCompressed:
    """``flatbuffer``: the file with the kept tensors compressed; ``choices``: every candidate."""

    flatbuffer: bytes
    choices: list[Choice]

    @property
    def kept(self) -> list[Choice]:
        return [c for c in self.choices if c.kept]


def _encodings(tensor, encodings) -> list[tuple[str, object]]:
    """Every encoding of ``tensor`` the format allows: ``[(name, CompressionResult)]``."""
    from tflite_micro.tensorflow.lite.micro.compression import compressor, lut, spec

    scales = tensor.quantization.scales if tensor.quantization else 0.0
    # TFLM's LUT decoder (decode_state_lut.cc) takes its table count from the decoded
    # tensor's scales and ignores the header's per-tensor axis: a per-channel quantized
    # tensor needs one table per channel (measured: the wheel's own per-tensor LUT of a
    # ternary kernel changes TFLM's outputs), a per-tensor one exactly one table.
    axis = (tensor.quantization.axis or 0) if isinstance(scales, list) and len(scales) > 1 else None
    results = []
    if "lut" in encodings:
        bits = lut.compress_array(tensor.array, axis).index_bitwidth
        if bits <= lut.LutAncillaryData.MAX_BITWIDTH:
            method = spec.LookUpTableCompression(bits, spec.PerTensor() if axis is None else spec.PerChannel(axis))
            mode = "per-tensor" if axis is None else "per-channel"
            results.append((f"lut {mode} {bits}-bit", lut.LutCompressor().compress(tensor, method)))
    if "prune" in encodings:
        try:
            results.append(("prune", PruneCompressor().compress(tensor)))
        except compressor.CompressionError:  # an axis TFLM's prune decoder refuses: LUT only
            pass
    return results


def _candidates(model, encodings) -> dict[int, tuple[str, object]]:
    """The cheapest encoding of every int8 constant tensor where it is smaller than dense."""
    from tflite_micro.tensorflow.lite.micro.compression import constant_inputs
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as tflite

    subgraph = model.subgraphs[0]
    best = {}
    for index, tensor in enumerate(subgraph.tensors):
        if tensor.buffer is None or not tensor.buffer.data or tensor.dtype != tflite.TensorType.INT8:
            continue
        if constant_inputs.find_uses(subgraph, tensor):  # an input an op reads at Prepare must stay
            continue
        options = _encodings(tensor, encodings)
        if not options:
            continue
        name, result = min(options, key=lambda option: _stored(option[1]))
        if _stored(result) < len(tensor.buffer.data):
            best[index] = (name, result)
    return best


def _stored(result) -> int:
    return len(result.encoded_data) + len(result.ancillary_data)


def _build(flatbuffer: bytes, results: dict) -> bytes:
    """``flatbuffer`` with the tensors of ``results`` (index -> CompressionResult) DECODE-compressed."""
    from tflite_micro.tensorflow.lite.micro.compression import decode_insert, model_editor

    model = model_editor.read(flatbuffer)
    with warnings.catch_warnings():
        # It warns of, and skips, a tensor sharing its buffer with an uncompressed one;
        # the file then does not shrink and the candidate is not kept.
        warnings.simplefilter("ignore")
        decode_insert.insert_decode_operators(model, {(0, index): r for index, r in results.items()})
    for index in results:
        # The editor leaves the original quantization on the encoded uint8 tensor;
        # the decoded copy carries it, the encoded bytes need none.
        model.subgraphs[0].tensors[index]._fb.quantization = None
    return align(bytes(model.build()))


def compress_for_tflm(flatbuffer: bytes, *, encodings=("lut",)) -> TflmCompressed:
    """DECODE-compress the tensors of ``flatbuffer`` (a slimmed file) that make it smaller.

    Args:
        flatbuffer: a slim INT8 ``.tflite`` (:func:`tpw_export.slim.slim`).
        encodings: decode types to try, a subset of :data:`ENCODINGS`.

    Returns:
        :class:`TflmCompressed`; its file equals ``flatbuffer`` when no tensor pays.

    Raises:
        ExportError: an unknown encoding, or the wheel's tools failing on the file.
    """
    from tflite_micro.tensorflow.lite.micro.compression import model_editor

    unknown = set(encodings) - set(ENCODINGS)
    if unknown:
        raise ExportError(f"compress_for_tflm: unknown encodings {sorted(unknown)}; known: {ENCODINGS}")
    model = model_editor.read(flatbuffer)
    candidates = _candidates(model, encodings)
    tensors = model.subgraphs[0].tensors
    order = sorted(candidates, key=lambda i: _stored(candidates[i][1]) - len(tensors[i].buffer.data))
    kept, current, choices = {}, flatbuffer, []
    for index in order:
        name, result = candidates[index]
        trial = _build(flatbuffer, {**kept, index: result})
        saved = len(current) - len(trial)
        if saved > 0:
            kept[index], current = result, trial
        choices.append(Choice(index, tuple(int(d) for d in tensors[index].shape), name, len(tensors[index].buffer.data),
                              len(result.encoded_data), len(result.ancillary_data), saved, saved > 0))
    return TflmCompressed(current, sorted(choices, key=lambda c: c.tensor))
